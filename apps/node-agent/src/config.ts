import os from 'node:os';
import { z } from 'zod';
import { NodeId, OrchestratorUrlList, SECURITY_MODES } from '@playground/contracts';

// The only module that reads the environment. Every variable is documented here; a bad
// value stops the agent at start-up rather than at the first job.

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);


const ConfigSchema = z
  .object({
    /** Names this node's queue, labels and record; unique per Docker host. */
    NODE_ID: NodeId.default('node-1'),
    /** Human-readable name shown to operators. */
    NODE_NAME: z.string().min(1).default(os.hostname()),
    /**
     * Where the orchestrator's Socket.IO server listens (the agent dials out): one URL (a
     * replica, a load balancer, the public URL), or several replicas' URLs separated by commas.
     * With several the agent links to the first, and whenever its link is lost or cannot be
     * made, tries the next: an agent on the replicas' network then needs no proxy in between,
     * which would relay every keystroke once more.
     */
    ORCHESTRATOR_URL: OrchestratorUrlList.default(['http://127.0.0.1:4000']),
    /**
     * This node's own token, valid for NODE_ID only (`POST /api/v1/nodes/<NODE_ID>/token` with
     * the admin token issues one; `npm start` derives it).
     */
    AGENT_TOKEN: z.string().min(1, 'AGENT_TOKEN is required'),
    /** BullMQ queue and heartbeats. */
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must be redis:// or rediss://').default('redis://127.0.0.1:6379'),
    /** Docker engine: unix:///path/to/docker.sock or tcp://host:port. Default: the local socket. */
    DOCKER_HOST: z
      .string()
      .regex(/^(unix:\/\/\/.+|tcp:\/\/[^/]+:\d+\/?)$/, 'DOCKER_HOST must be unix:///path or tcp://host:port')
      .optional(),
    /** Docker-in-Docker image every instance runs (built by infra/setup.sh). */
    INSTANCE_IMAGE: z.string().min(1).default('playground/instance:latest'),
    /**
     * How an instance is isolated from this node (apps/node-agent/src/instances/isolation.ts).
     * `userns` (default): root in an instance is an unprivileged user on the host; needs the
     * engine to run with userns-remap (infra/setup.sh starts it so). `minimal-caps` and
     * `privileged`: root in an instance can become root on the host — for trusted users only;
     * the orchestrator refuses such nodes on a public address unless ALLOW_UNSAFE_SECURITY_MODE.
     * `runtime`: a named OCI runtime (e.g. sysbox-runc) does the isolating.
     */
    SECURITY_MODE: z.enum(SECURITY_MODES).default('userns'),
    /** OCI runtime name for SECURITY_MODE=runtime (as registered in the engine's daemon.json). */
    OCI_RUNTIME: z.string().min(1).optional(),
    /** Port of the node-local registry mirror on each instance's default gateway. */
    MIRROR_PORT: z.coerce.number().int().min(1).max(65535).default(5000),
    /**
     * Hard limit per instance, in GiB, on its root file system and (separately) on its inner
     * engine's /var/lib/docker, enforced by the engine's file system: btrfs qgroups where
     * infra/setup.sh put the data root on btrfs, or overlay2 on XFS with prjquota (root file
     * system only). The root file system's limit includes the instance image (~0.5 GiB). A
     * learner who fills it sees "Disk quota exceeded". 0: no limit. Where the engine cannot
     * limit disks the agent logs `disk.quota.unavailable` at the first instance and goes on.
     */
    INSTANCE_DISK_GB: z.coerce.number().min(0).max(10000).default(10),
    /**
     * In the `userns` mode, every instance runs its Docker engine (dockerd, containerd, runc)
     * from one read-only copy per node and image instead of its own (instances/shared-engine.ts):
     * the programs are cached once for all instances, not once each, which keeps an idle
     * instance about 14 MiB smaller and starts a new one from a warm cache. Off: each instance
     * runs the programs of its own root file system.
     */
    INSTANCE_SHARED_ENGINE: z.stringbool().default(true),
    /** Most instances this node accepts (announced to the scheduler). Warm pool members count against it too. */
    CAPACITY_INSTANCES: positiveInt(20),
    /**
     * Started, idle instances kept ready so a new instance is handed out in well under a
     * second (renamed, moved to its session network, hostname and mirror set). 0 disables
     * the pool. Members are never reused: each serves one instance, then a new one is made.
     */
    WARM_POOL_SIZE: z.coerce.number().int().min(0).max(100).default(2),
    /** How often the pool checks its members (stopped, stale image, capacity) without a trigger. */
    WARM_POOL_CHECK_INTERVAL_MS: positiveInt(30000),
    /** Memory the scheduler may hand out on this node; default: all host memory. */
    CAPACITY_MEMORY_MB: positiveInt(Math.floor(os.totalmem() / 1024 / 1024)),
    /**
     * How often the node's announcement is written to Redis (key expiry: three intervals). The
     * orchestrator marks a node down after its NODE_DOWN_AFTER_MS without one.
     */
    HEARTBEAT_INTERVAL_MS: positiveInt(5000),
    /** How often each running instance's listening TCP ports are read (changes are reported). */
    PORT_SCAN_INTERVAL_MS: positiveInt(1000),
    /** Recent terminal output replayed to a viewer that (re)attaches. */
    TERMINAL_REPLAY_BYTES: positiveInt(65536),
    /** Unacknowledged bytes per viewer before the shell's output is paused. */
    TERMINAL_WINDOW_BYTES: positiveInt(262144),
    /**
     * Input waiting to be written to one shell (it stopped reading: a foreground program that
     * ignores stdin, a stopped job). Beyond this, further input is dropped and the viewer told.
     */
    TERMINAL_MAX_PENDING_INPUT_BYTES: positiveInt(262144),
    /**
     * Minutes an extra shell (a terminal tab beyond the instance's main shell) may stay with no
     * viewer before it is ended and its process and screen freed; a learner who comes back to
     * the tab reads why. The main shell is never ended this way. Fractional allowed (0.05 = 3 s,
     * for tests); 0: extra shells live as long as their instance.
     */
    TERMINAL_SHELL_IDLE_MINUTES: z.coerce.number().min(0).default(30),
    /** Port of the agent's Prometheus endpoint (GET /metrics); unset: no endpoint. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Address the metrics endpoint binds to; loopback unless Prometheus scrapes from elsewhere. */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** Bearer token the metrics endpoint asks for; unset: none (keep it on a private address then). */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** Lifecycle jobs processed at once. */
    JOB_CONCURRENCY: positiveInt(4),
    /** How long a new instance's inner Docker engine may take to answer. */
    INSTANCE_READY_TIMEOUT_MS: positiveInt(60000),
    /**
     * Abuse answered with a reason: an instance that uses at least CPU_ABUSE_THRESHOLD of its CPU
     * quota (a fraction, 0.9 = 90 %) without a break is warned after CPU_ABUSE_WARN_MINUTES and
     * stopped (removed, its slot freed) after CPU_ABUSE_STOP_MINUTES, the learner told why.
     * Minutes may be fractional (0.1 = 6 s, for tests); 0 disables that step (both 0: no monitoring).
     */
    CPU_ABUSE_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.9),
    /** Minutes of sustained full CPU before the learner's page and terminals show a warning. */
    CPU_ABUSE_WARN_MINUTES: z.coerce.number().min(0).default(5),
    /** Minutes of sustained full CPU before the instance is stopped with the reason shown. */
    CPU_ABUSE_STOP_MINUTES: z.coerce.number().min(0).default(10),
    /** How often each instance's CPU time is read from its cgroup (or the engine's stats). */
    CPU_ABUSE_SAMPLE_INTERVAL_MS: positiveInt(5000),
    /**
     * How often each running instance's CPU, memory and disk use is measured (cgroup and btrfs
     * quota files) and sent to the orchestrator for the learner's meters and this agent's /metrics.
     */
    USAGE_SAMPLE_INTERVAL_MS: positiveInt(2000),
    /** pino level of the agent's structured logs (stdout, one JSON object per line). */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.CPU_ABUSE_WARN_MINUTES > 0 && env.CPU_ABUSE_STOP_MINUTES > 0 && env.CPU_ABUSE_WARN_MINUTES >= env.CPU_ABUSE_STOP_MINUTES) {
      ctx.addIssue({ code: 'custom', path: ['CPU_ABUSE_WARN_MINUTES'], message: 'CPU_ABUSE_WARN_MINUTES must be less than CPU_ABUSE_STOP_MINUTES (the warning comes first)' });
    }
    if (env.SECURITY_MODE === 'runtime' && !env.OCI_RUNTIME) {
      ctx.addIssue({ code: 'custom', path: ['OCI_RUNTIME'], message: 'OCI_RUNTIME is required when SECURITY_MODE=runtime' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

/** Every variable this module reads, for the launcher to pass on (infra/launcher/settings.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape);

/** Parses the environment; throws a readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new Error(`invalid node-agent configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
