import { z } from 'zod';
import type { FilesListReply, FilesListRequest, FilesReadReply, FilesReadRequest } from './files.ts';
import { ShellNumber, TerminalLanguage, TerminalSize } from './terminal.ts';

// Node agent <-> orchestrator, Socket.IO namespace `/agent`. The agent dials out, so nodes
// need no inbound port. Terminal bytes are relayed per viewer (one browser socket) with
// acknowledgements: the agent keeps at most a window of unacknowledged bytes per viewer
// and pauses the shell's output when a viewer falls behind, so no buffer grows unbounded.

export const AGENT_NAMESPACE = '/agent';

/**
 * ORCHESTRATOR_URL of the web edge and of node agents: one URL, or several replicas' URLs
 * separated by commas (http or https), read into a list of at least one.
 */
export const OrchestratorUrlList = z
  .string()
  .transform((value) => value.split(',').map((url) => url.trim()).filter(Boolean))
  .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'at least one URL is needed'));

/** How a node isolates its instances (see apps/node-agent/src/instances/isolation.ts). */
export const SECURITY_MODES = ['userns', 'minimal-caps', 'privileged', 'runtime'] as const;
export const SecurityMode = z.enum(SECURITY_MODES);
export type SecurityMode = z.infer<typeof SecurityMode>;
/** Modes in which root in an instance can become root on the node's host. */
export const UNSAFE_SECURITY_MODES: readonly SecurityMode[] = ['minimal-caps', 'privileged'];

export const AgentAuth = z.object({
  nodeId: z.string(),
  /** This node's own token (AGENT_TOKEN), valid for this nodeId only; see node-token.ts. */
  token: z.string(),
  /** The node's SECURITY_MODE; the orchestrator refuses unsafe ones on a public address. */
  securityMode: SecurityMode.optional(),
});

/** `connect_error.data` of a refusal the agent must not retry (it exits with the message). */
export const AgentRefusal = z.object({ fatal: z.literal(true), code: z.string() });
export type AgentAuth = z.infer<typeof AgentAuth>;

export const NodeCapacity = z.object({
  instances: z.number().int().min(0),
  memoryBytes: z.number().int().min(0),
});
export type NodeCapacity = z.infer<typeof NodeCapacity>;

/** What an agent says about itself when it connects and in every heartbeat. */
export const NodeAnnouncement = z.object({
  nodeId: z.string(),
  name: z.string(),
  engineVersion: z.string(),
  capacity: NodeCapacity,
  usage: z.object({
    instances: z.number().int().min(0),
    /** Started, idle instances ready to be claimed (warm pool); they fit within capacity. */
    warm: z.number().int().min(0).optional(),
  }),
  /** When the agent made this announcement (ISO 8601): tells a fresh heartbeat from one read before a change. */
  at: z.iso.datetime().optional(),
  /**
   * When the agent last finished reconciling with the orchestrator after its link came up
   * (ISO 8601); absent until the first time. Before it, a new instance may still be reported
   * gone by that first reconcile.
   */
  reconciledAt: z.iso.datetime().optional(),
});
export type NodeAnnouncement = z.infer<typeof NodeAnnouncement>;

export const AttachRequest = z.object({
  viewerId: z.string(),
  instanceId: z.string(),
  /** Absent: the main shell. */
  shell: ShellNumber.optional(),
  size: TerminalSize.optional(),
  /** The welcome text's language, for a shell this attach starts (see TerminalLanguage). */
  lang: TerminalLanguage.optional(),
  /**
   * A viewer that does not size the shell but follows its size (an instructor watching): the
   * agent puts the shell's size in its output as `CSI 8 ; rows ; cols t` (followSizeSequence),
   * before the replayed screen and at every resize, so the screen is drawn at the width the
   * shell wrote it for. Other viewers never get the sequence.
   */
  followsSize: z.boolean().optional(),
});
export type AttachRequest = z.infer<typeof AttachRequest>;

/**
 * `idleMinutes`: set with code `shell_closed_idle` when the extra shell asked for was ended
 * because nobody had it open for that long (the agent's TERMINAL_SHELL_IDLE_MINUTES); the
 * next attach starts a new one.
 */
export type AttachReply = { ok: true } | { ok: false; code: string; message: string; idleMinutes?: number };

/** Which instances this node should still have; everything else it labelled is removed. */
export type LiveInstances = { instanceIds: string[]; sessionIds: string[] };

export interface AgentToOrchestrator {
  'node.announce': (announcement: NodeAnnouncement) => void;
  /** Asks which sessions and instances on this node are still alive (reconcile after restart). */
  'node.live': (reply: (live: LiveInstances) => void) => void;
  /**
   * Terminal output for one viewer: UTF-8 text (whole characters) or bytes, relayed to the
   * browser as is. When the agent passes `ack`, the orchestrator calls it once this and all
   * earlier output left its buffers; the agent asks only for some chunks (acks are cumulative).
   */
  'terminal.output': (viewerId: string, data: string | Uint8Array, ack?: () => void) => void;
  'terminal.exit': (viewerId: string, info: { code: number | null; reason: string }) => void;
  /** The full set of TCP ports listening in an instance, sent when it changes. */
  'instance.ports': (instanceId: string, ports: number[]) => void;
  /** An instance's container stopped or vanished without being asked to. */
  'instance.gone': (instanceId: string, reason: string) => void;
  /**
   * An instance has burnt its full CPU quota for a while: `warning` is the text the learner
   * sees; null withdraws it (the burn stopped before the instance was stopped).
   */
  'instance.cpu_warning': (instanceId: string, warning: CpuAbuseReport | null) => void;
  /** The agent stopped and removed an instance for abuse; `reason` says why, for the learner. */
  'instance.stopped': (instanceId: string, report: CpuAbuseReport) => void;
  /** What every running instance of the node uses now, sent on each sampling interval (not buffered offline). */
  'instance.usage': (report: UsageReport) => void;
}

/** Bytes in use against a limit; `limit` null when none is enforced. */
export const UsedOfLimit = z.object({
  used: z.number().min(0),
  limit: z.number().min(0).nullable(),
});
export type UsedOfLimit = z.infer<typeof UsedOfLimit>;

/**
 * One instance's use of its limits, as its node measured it (apps/node-agent/src/instances/usage-sampler.ts).
 * `disk` is the root file system (its limit counts the instance image too), `dockerData` the
 * inner engine's /var/lib/docker volume, each with its own limit; null where the node cannot
 * measure them (no btrfs quotas).
 */
export const InstanceUsageSample = z.object({
  instanceId: z.string(),
  /** CPU in cores over the last interval, against the instance's quota in cores. */
  cpu: z.object({ used: z.number().min(0), limit: z.number().positive() }),
  /** Memory in bytes (page cache that the kernel can drop at once left out), against the cgroup limit. */
  memory: UsedOfLimit,
  disk: UsedOfLimit.nullable(),
  dockerData: UsedOfLimit.nullable(),
});
export type InstanceUsageSample = z.infer<typeof InstanceUsageSample>;

export const UsageReport = z.object({
  /** When the node measured it (ISO 8601). */
  at: z.iso.datetime(),
  /** How often the node measures: figures older than a few intervals are stale. */
  intervalMs: z.number().int().positive(),
  instances: z.array(InstanceUsageSample).max(1000),
});
export type UsageReport = z.infer<typeof UsageReport>;

/** What the agent measured about an instance's sustained CPU burn (see cpu-abuse-detector.ts). */
export const CpuAbuseReport = z.object({
  /** For the learner: the warning, or the reason the instance was stopped. */
  message: z.string().max(500),
  /** How long the instance has used at least `threshold` of its CPU quota without a break. */
  sustainedSeconds: z.number().min(0),
  /** Its CPU use over the last sample, as a fraction of its quota. */
  usage: z.number().min(0),
  /** Its CPU quota in cores (NanoCpus / 1e9). */
  cpus: z.number().min(0),
  threshold: z.number().min(0),
  stopAfterSeconds: z.number().min(0),
});
export type CpuAbuseReport = z.infer<typeof CpuAbuseReport>;

export interface OrchestratorToAgent {
  /** Liveness check: another connection claims this node; a live agent answers at once. */
  'node.ping': (reply: () => void) => void;
  'terminal.attach': (request: AttachRequest, reply: (result: AttachReply) => void) => void;
  'terminal.input': (viewerId: string, data: string) => void;
  'terminal.resize': (viewerId: string, size: TerminalSize) => void;
  'terminal.detach': (viewerId: string) => void;
  /** Ends the (extra) shell this viewer is attached to; its viewers get `terminal.exit`. */
  'terminal.close': (viewerId: string) => void;
  'instance.exec': (request: ExecRequest, reply: (result: ExecReply) => void) => void;
  'instance.upload': (request: UploadRequest, reply: (result: UploadReply) => void) => void;
  /** One directory of an instance (contracts: files.ts). */
  'instance.files.list': (request: FilesListRequest, reply: (result: FilesListReply) => void) => void;
  /** A chunk of a file in an instance, at most FILE_CHUNK_MAX_BYTES (contracts: files.ts). */
  'instance.files.read': (request: FilesReadRequest, reply: (result: FilesReadReply) => void) => void;
}

/** Runs a command (argv, no TTY) in an instance: PWD's exec, session setup. */
export const ExecRequest = z.object({
  instanceId: z.string(),
  command: z.array(z.string().max(8192)).min(1).max(128),
  /** The agent kills the command after this long and answers `timeout`. */
  timeoutMs: z.number().int().positive().max(600_000),
});
export type ExecRequest = z.infer<typeof ExecRequest>;

/** `output`: stdout then stderr, cut to the first EXEC_OUTPUT_MAX_BYTES. */
export type ExecReply = { ok: true; exitCode: number | null; output: string } | { ok: false; code: string; message: string };
export const EXEC_OUTPUT_MAX_BYTES = 64 * 1024;

/** Writes one file into an instance (directory is made if missing). */
export const UploadRequest = z.object({
  instanceId: z.string(),
  /** Absolute directory inside the instance. */
  directory: z.string().regex(/^\//, 'an absolute directory').max(1024),
  /** A plain file name: no slash, not `.` or `..`. */
  fileName: z.string().min(1).max(255).regex(/^(?!\.\.?$)[^/\0]+$/, 'a plain file name'),
  data: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'bytes'),
});
export type UploadRequest = z.infer<typeof UploadRequest>;
export type UploadReply = { ok: true } | { ok: false; code: string; message: string };
