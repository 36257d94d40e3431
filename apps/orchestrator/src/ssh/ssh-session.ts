import { TerminalSize, type TerminalLanguage } from '@playground/contracts';
import { TextDecoder } from 'node:util';
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import type { TerminalGateway } from '../gateway/terminal-gateway.ts';
import type { ExecOutcome } from '../instance-commands.ts';
import { LOCALE_VARIABLES, localeLanguage } from './client-language.ts';

// One SSH "session" channel: an interactive shell or one command. The shell is a viewer of
// the instance's shell through the same TerminalGateway.open as the browser's terminal (same
// shell, same limits, same flow control); a command runs through InstanceCommands.exec (no
// TTY, as the lab checks do), its output and exit status sent back when it has finished.

/** What a session channel needs from its connection. */
export interface SessionOwner {
  /** `lang`: the session's own language (the page that started it), for a client that sends no locale. */
  target: { sessionId: string; instanceId: string; nodeId: string; lang?: TerminalLanguage };
  terminals: Pick<TerminalGateway, 'open'>;
  exec(command: string[]): Promise<ExecOutcome>;
  /** Traffic on this connection, for its idle limit. */
  touch(): void;
  /** The connection keeps its open channels, to tell them why when it ends. */
  track(channel: ServerChannel): void;
}

/** Unsent bytes beyond which an SSH client counts as behind (the shell then pauses on the node). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Longest command line the agent takes (ExecRequest). */
const MAX_COMMAND_LENGTH = 8192;

/** Writes a line from the playground (not the shell) to the client, in yellow on a TTY. */
export function notice(channel: ServerChannel, text: string, tty: boolean): void {
  if (channel.destroyed || !channel.writable) return;
  channel.stderr.write(tty ? `\r\n\x1b[33m[playground] ${text}\x1b[0m\r\n` : `[playground] ${text}\n`);
}

export function serveSession(session: Session, owner: SessionOwner): void {
  let size: { cols: number; rows: number } | undefined;
  let resize: ((size: { cols: number; rows: number }) => void) | undefined;

  // A client without a real terminal (ssh -tt from a script) reports 0×0: the shell keeps its size then.
  session.on('pty', (accept, _reject, info: PseudoTtyInfo) => {
    size = terminalSize(info) ?? size;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    size = terminalSize(info) ?? size;
    if (size) resize?.(size);
    accept?.();
  });
  // Environment variables are accepted but not set in the shell (it is shared with the
  // browser's); the client's locale only picks the language of the welcome text.
  const locale: Partial<Record<(typeof LOCALE_VARIABLES)[number], string>> = {};
  session.on('env', (accept, _reject, info) => {
    const name = LOCALE_VARIABLES.find((known) => known === info.key);
    if (name) locale[name] = String(info.val).slice(0, 64);
    accept?.();
  });
  session.on('shell', (accept) => {
    const channel = accept();
    owner.track(channel);
    resize = openShell(channel, owner, size, localeLanguage(locale) ?? owner.target.lang);
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    owner.track(channel);
    void runCommand(channel, owner, info.command);
  });
  for (const refused of ['sftp', 'subsystem', 'x11', 'auth-agent', 'signal'] as const) {
    session.on(refused, (_accept: unknown, reject?: () => void) => reject?.());
  }
}

function terminalSize(info: { cols: number; rows: number }): { cols: number; rows: number } | undefined {
  const parsed = TerminalSize.safeParse({ cols: info.cols, rows: info.rows });
  return parsed.success ? parsed.data : undefined;
}

/** Joins the channel to a viewer of the instance's shell; returns how to resize it. */
function openShell(channel: ServerChannel, owner: SessionOwner, size: { cols: number; rows: number } | undefined, lang: TerminalLanguage | undefined) {
  const decoder = new TextDecoder();
  const terminal = owner.terminals.open({ ...owner.target, size, lang }, {
    output: (data) => {
      owner.touch();
      channel.write(data);
    },
    exit: ({ code, reason }) => {
      notice(channel, reason, true);
      channel.exit(code ?? 0);
      channel.end();
    },
    backlogged: () => channel.writableLength > MAX_BUFFERED_BYTES,
  });
  channel.on('drain', () => terminal.drained());
  channel.on('data', (data: Buffer) => {
    owner.touch();
    terminal.input(decoder.decode(data, { stream: true }));
  });
  channel.on('close', () => terminal.detach());
  return (next: { cols: number; rows: number }) => terminal.resize(next);
}

async function runCommand(channel: ServerChannel, owner: SessionOwner, command: string): Promise<void> {
  owner.touch();
  if (command.length > MAX_COMMAND_LENGTH) {
    notice(channel, `The command is longer than ${MAX_COMMAND_LENGTH} characters.`, false);
    return finish(channel, 2);
  }
  try {
    const { exitCode, output } = await owner.exec(['bash', '-c', command]);
    owner.touch();
    if (!channel.destroyed) channel.write(output);
    // No exit code means the command was killed by a signal; 255 is what OpenSSH reports then.
    finish(channel, exitCode ?? 255);
  } catch (error) {
    notice(channel, error instanceof Error ? error.message : String(error), false);
    finish(channel, 255);
  }
}

function finish(channel: ServerChannel, code: number): void {
  if (channel.destroyed) return;
  channel.exit(code);
  channel.end();
}
