import { z } from 'zod';
import { InstanceId, SessionId } from './ids.ts';
import { TerminalLanguage } from './terminal.ts';

// REST contract of /api/v1, shared by the orchestrator (which serves it), the web pages
// and the tests (which call it). Request bodies are strict: an unknown field is a 400.

export const CreateSessionBody = z
  .object({
    /** What the session starts with (GET /api/v1/templates); default one empty session the learner fills. */
    template: z.string().max(64).optional(),
    /**
     * The starting page's language: shells opened later without one of their own (an SSH client
     * that sends no LANG) greet in it. Absent: the request's Accept-Language.
     */
    language: TerminalLanguage.optional(),
  })
  .strict();

/** A session template as GET /api/v1/templates lists it. */
export const TemplateView = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  instances: z.array(z.object({ hostname: z.string(), swarm: z.enum(['manager', 'worker']).optional() })),
});
export type TemplateView = z.infer<typeof TemplateView>;
export const CreateInstanceBody = z
  .object({
    /** A name of the client's choosing (a lab's or template's `node2`, `manager1`); default the next `nodeN`. */
    hostname: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'a lowercase hostname such as node1 (letters, digits, "-", at most 31 characters)')
      .optional(),
  })
  .strict();

/** POST /api/v1/sessions/:id/instances/:instanceId/exec: a shell script run as root in /root, no TTY. */
export const ExecBody = z.object({ script: z.string().min(1).max(64 * 1024) }).strict();
export const ExecView = z.object({ exitCode: z.number().int().nullable(), output: z.string() });
export type ExecView = z.infer<typeof ExecView>;

export const InstanceStatus = z.enum(['creating', 'running', 'deleting', 'deleted', 'failed', 'lost']);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const SessionStatus = z.enum(['active', 'closing', 'ended', 'lost']);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const PortView = z.object({
  port: z.number().int().min(1).max(65535),
  /** Host-based public URL: http://<instanceId>-<port>.<ports domain>/ */
  url: z.string(),
  /** Path-based public URL on the base host: <base URL>/ports/<instanceId>/<port>/ */
  pathUrl: z.string(),
});
export type PortView = z.infer<typeof PortView>;

/** Use of one limit, for a meter: bytes (cores for CPU); `limit` null when none is enforced. */
export const UsageMeter = z.object({ used: z.number().min(0), limit: z.number().min(0).nullable() });
export type UsageMeter = z.infer<typeof UsageMeter>;

/** The limits whose nearness the page warns of (freeing them is up to the learner: `docker system prune`). */
export const USAGE_RESOURCES = ['memory', 'disk', 'dockerData'] as const;

/**
 * A running instance's live use of its limits, as its node last measured it (every few
 * seconds). `disk`: its root file system (the limit counts the instance image too);
 * `dockerData`: its inner engine's /var/lib/docker, limited on its own; null where the node
 * cannot measure them. `nearLimit`: memory or disks at or past `warnAt` of their limit, for
 * the page to warn of (and suggest `docker system prune`).
 */
export const InstanceUsage = z.object({
  at: z.string(),
  cpu: UsageMeter,
  memory: UsageMeter,
  disk: UsageMeter.nullable(),
  dockerData: UsageMeter.nullable(),
  /** The fraction of a limit from which the page warns (USAGE_WARN_THRESHOLD). */
  warnAt: z.number(),
  nearLimit: z.array(z.enum(USAGE_RESOURCES)),
});
export type InstanceUsage = z.infer<typeof InstanceUsage>;

export const InstanceView = z.object({
  id: InstanceId,
  hostname: z.string(),
  ip: z.string().nullable(),
  status: InstanceStatus,
  createdAt: z.string(),
  ports: z.array(PortView),
  /** Host-based URL of any port of this instance: replace `{port}` with the number. */
  portUrlTemplate: z.string(),
  /** The command that opens this instance's shell from the learner's own machine (`ssh <id>@<host> -p <port>`). */
  ssh: z.string(),
  /** A running instance about to be stopped (e.g. a sustained full-CPU burn): why, for the learner. */
  warning: z.string().nullable(),
  /** Why an instance that is not running ended or failed (lost, failed, deleted), for the learner. */
  reason: z.string().nullable(),
  /** Live CPU, memory and disk use against its limits; null until measured, when stale, or not running. */
  usage: InstanceUsage.nullable(),
});
export type InstanceView = z.infer<typeof InstanceView>;

export const SessionView = z.object({
  id: SessionId,
  status: SessionStatus,
  createdAt: z.string(),
  expiresAt: z.string(),
  /** Limits that apply to this session, so the page can explain them before they bite. */
  limits: z.object({ maxInstances: z.number().int() }),
  instances: z.array(InstanceView),
});
export type SessionView = z.infer<typeof SessionView>;

export const ServiceHealth = z.object({ ok: z.boolean(), message: z.string().optional() });

/**
 * A node as operators see it: `down` when it stopped answering, else `draining` when an
 * operator drained it, else `ready`.
 */
export const NodeStatus = z.enum(['ready', 'draining', 'down']);
export type NodeStatus = z.infer<typeof NodeStatus>;

export const HealthView = z.object({
  ok: z.boolean(),
  postgres: ServiceHealth,
  redis: ServiceHealth,
  nodes: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: NodeStatus,
      lastSeenAt: z.string().nullable(),
      /**
       * The node's agent holds a live link to a running orchestrator replica (any one): the
       * link that carries its terminals and port traffic. A node can be `ready` (heartbeats)
       * a few seconds before it links; `npm start` says ready only once every node has both.
       */
      linked: z.boolean(),
    }),
  ),
});
export type HealthView = z.infer<typeof HealthView>;


/** A Docker host as operators see it (GET /api/v1/nodes, admin token). */
export const NodeView = z.object({
  id: z.string(),
  name: z.string(),
  status: NodeStatus,
  /** Drained by an operator: takes no new sessions until undrained (also while it is down). */
  drained: z.boolean(),
  /** What the node's agent says it may run: instances, and memory it may hand out. */
  capacity: z.object({ instances: z.number().int(), memoryBytes: z.number().int() }),
  /** What the record places on it: live instances (creating, running, deleting) and active sessions. */
  usage: z.object({ instances: z.number().int(), sessions: z.number().int() }),
  lastSeenAt: z.string().nullable(),
});
export type NodeView = z.infer<typeof NodeView>;

export const NodeListView = z.object({ nodes: z.array(NodeView) });
export type NodeListView = z.infer<typeof NodeListView>;
