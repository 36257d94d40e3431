import { z } from 'zod';
import { InstanceId, SessionId } from './ids.ts';

// Browser <-> orchestrator, Socket.IO namespace `/terminal` at the default path.
// The handshake names the terminal; the orchestrator checks that the instance belongs
// to the session and refuses the connection otherwise.

export const TERMINAL_NAMESPACE = '/terminal';

/**
 * The language of a shell's welcome text (the instance image's /etc/motd.<lang>): the page's
 * language, sent when its terminal attaches. Absent: English.
 */
export const TerminalLanguage = z.enum(['en', 'ko']);
export type TerminalLanguage = z.infer<typeof TerminalLanguage>;

/**
 * Which of an instance's shells: 0 is the main one (prewarmed, shared by every viewer, the one
 * an instructor watches and SSH uses); 1, 2, … are the learner's extra tabs, each started on
 * first attach. The orchestrator refuses numbers at or above its per-instance limit.
 */
export const ShellNumber = z.number().int().min(0).max(99);
export const MAIN_SHELL = 0;

export const TerminalAuth = z.object({
  sessionId: SessionId,
  instanceId: InstanceId,
  /** Absent: the main shell. */
  shell: ShellNumber.optional(),
  /** Initial size, so the first prompt is drawn at the right width. */
  cols: z.number().int().min(2).max(1000).optional(),
  rows: z.number().int().min(2).max(1000).optional(),
  lang: TerminalLanguage.optional(),
});
export type TerminalAuth = z.infer<typeof TerminalAuth>;

/**
 * An instructor watching a learner's terminal: read-only (the same output, screen replayed
 * first) until the learner accepts a help request. Authorised by `token` (an instructor API
 * token, or the admin token) or the signed-in instructor's cookie sent with the handshake.
 */
export const TerminalWatchAuth = z.object({
  instanceId: InstanceId,
  watch: z.literal(true),
  token: z.string().max(200).optional(),
});
export type TerminalWatchAuth = z.infer<typeof TerminalWatchAuth>;

export const TerminalSize = z.object({
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(2).max(1000),
});
export type TerminalSize = z.infer<typeof TerminalSize>;

/** xterm's "resize the text area" request, which a size-following viewer's terminal obeys. */
export function followSizeSequence(size: TerminalSize): string {
  return `\x1b[8;${size.rows};${size.cols}t`;
}

/** Keystrokes or pasted text; large pastes are split by the client. */
export const TerminalInput = z.string().max(64 * 1024);

/**
 * Why a terminal ended. `retryable` is true when the shell probably still lives and the
 * link to it broke (its node's agent disconnected): the client reconnects by itself.
 * The same `{ retryable: true }` comes as `connect_error.data` when a handshake is refused
 * only because the node is not connected right now.
 */
export type TerminalExitInfo = {
  code: number | null;
  reason: string;
  retryable?: boolean;
  /** Set when an extra shell was ended because nobody had it open for this many minutes (the page says so in its language). */
  idleMinutes?: number;
};

export interface TerminalServerToClient {
  /** Terminal bytes (UTF-8). The first burst after connecting replays the recent screen. */
  output: (data: string | Uint8Array) => void;
  /** The shell ended (or the instance went away); `reason` is for display. */
  exit: (info: TerminalExitInfo) => void;
  /** To a watcher: whether its input reaches the shell now (the learner granted or revoked help). */
  control: (info: { canType: boolean; reason: string }) => void;
  /** To a watcher that typed without the learner's permission: why nothing happened. */
  inputRefused: (info: { reason: string }) => void;
}

export interface TerminalClientToServer {
  input: (data: string) => void;
  resize: (size: TerminalSize) => void;
  /** Ends this socket's shell for every viewer (a closed tab); ignored for the main shell. */
  closeShell: () => void;
}

/**
 * Terminal affinity (web edge ↔ orchestrator replicas). A terminal's socket names its instance
 * in the handshake URL (`?instance=<id>`) so that the edge can send it to the replica holding
 * the link of that instance's node: its keystrokes and echoes then take no hop between replicas.
 * The edge asks any replica at `GET /_edge/link-affinity?instance=<id>` (a path the edge never
 * forwards from outside); `replica` is the replica that answered, `holder` the one to use.
 */
export const TERMINAL_INSTANCE_QUERY = 'instance';
/** Every orchestrator answer (HTTP, and a WebSocket's handshake) names the replica that gave it. */
export const REPLICA_HEADER = 'x-playground-replica';
export const LINK_AFFINITY_PATH = '/_edge/link-affinity';
export const LinkAffinityAnswer = z.object({
  replica: z.string().min(1).max(100),
  holder: z.string().min(1).max(100).nullable(),
});
export type LinkAffinityAnswer = z.infer<typeof LinkAffinityAnswer>;

/** The instance a terminal handshake URL names for the edge, if it names a valid one. */
export function terminalInstanceOf(url: string | undefined): string | undefined {
  if (!url?.startsWith('/socket.io/')) return undefined;
  const value = new URL(url, 'http://edge').searchParams.get(TERMINAL_INSTANCE_QUERY);
  return value !== null && InstanceId.safeParse(value).success ? value : undefined;
}
