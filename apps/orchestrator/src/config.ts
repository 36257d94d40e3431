import { defaultPortsDomain } from '@playground/contracts';
import { LOCAL_DATABASE_URL } from '@playground/contracts/local-database';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { trustedProxyProblem } from './client-address.ts';

// The orchestrator's whole configuration, parsed once from the environment. Nothing else
// reads process.env: main.ts passes process.env here, tests pass a plain object.

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Where learners' ssh clients connect unless SSH_PORT says otherwise (printed by `npm start`). */
export const DEFAULT_SSH_PORT = 2222;
export const DEFAULT_SSH_HOST_KEY_PATH = fileURLToPath(new URL('../../../.playground/ssh_host_ed25519_key', import.meta.url));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ConfigSchema = z
  .object({
    /** Address the HTTP server binds to; the web app proxies to it. */
    ORCHESTRATOR_HOST: z.string().min(1).default('127.0.0.1'),
    /** Port of the HTTP server (REST API, Socket.IO, port proxy). 0 picks a free port. */
    ORCHESTRATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    /** PostgreSQL, the record of sessions, instances and nodes. */
    DATABASE_URL: z.string().url().default(LOCAL_DATABASE_URL),
    /** Redis: BullMQ queues and node heartbeats. */
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    /**
     * Key from which each node's own agent token is derived (HMAC of the node id; see
     * packages/contracts/src/node-token.ts). Never given to agents: each gets only its token.
     */
    AGENT_SECRET: z.string().min(32, 'AGENT_SECRET must be at least 32 characters'),
    /** Bearer token for /api/v1/admin/*. */
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters'),
    /** Public base URL of the playground (what the browser sees); port URLs are built from it. */
    PUBLIC_URL: z.string().url().default('http://localhost:8080'),
    /**
     * Domain under which port hosts live (`<instance>-<port>.<domain>`); default
     * `ports.<PUBLIC_URL's hostname>`, a name the app's host-only cookies never reach. Better
     * still in production: a registrable domain of its own (learner pages can set cookies for
     * parent domains of their host).
     */
    PORTS_DOMAIN: z.string().min(1).optional(),
    /** Lifetime of a session (fractions allowed, e.g. for tests). */
    SESSION_TTL_MINUTES: z.coerce.number().positive().default(240),
    /** Active sessions one client address may hold. */
    MAX_SESSIONS_PER_CLIENT: positiveInt(20),
    /** Live instances one session may hold. */
    MAX_INSTANCES_PER_SESSION: positiveInt(5),
    /** CPU limit of each instance (cores). */
    INSTANCE_CPUS: z.coerce.number().positive().default(1),
    /** Memory limit of each instance. */
    INSTANCE_MEMORY_MB: positiveInt(1024),
    /** Process limit of each instance. */
    INSTANCE_PIDS: positiveInt(1000),
    /**
     * The fraction of an instance's memory or disk limit (0.85 = 85 %) from which the learner's
     * page warns that it is nearly full and suggests `docker system prune` (the instance view's
     * `usage.nearLimit`).
     */
    USAGE_WARN_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.85),
    /** How long POST …/instances waits for the node to create the instance. */
    INSTANCE_CREATE_TIMEOUT_MS: positiveInt(90_000),
    /** A node whose heartbeat is older than this is `down` and gets no new sessions. */
    NODE_DOWN_AFTER_MS: positiveInt(15_000),
    /** How often the reaper sweeps Postgres (expiry, closing, stale jobs, node monitor). */
    REAPER_INTERVAL_MS: positiveInt(2_000),
    /**
     * Comma-separated addresses or ranges (`10.244.0.0/16`) of the proxies in front (the web
     * edges, a load balancer) whose X-Forwarded-For is believed (loopback always is).
     */
    TRUSTED_PROXY: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
        for (const entry of entries) {
          const problem = trustedProxyProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }
        return entries;
      }),
    /**
     * Comma-separated origins (scheme://host[:port]) besides PUBLIC_URL's whose pages may create
     * sessions (embeds). A POST /api/v1/sessions with any other Origin header is refused (403);
     * one without an Origin (curl, server to server) is not.
     */
    ALLOWED_ORIGINS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const origins: string[] = [];
        for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
          const url = URL.parse(entry);
          if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/+$/, '')) {
            ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin such as https://docs.example.com` });
            continue;
          }
          origins.push(url.origin);
        }
        return origins;
      }),
    /**
     * Origins whose pages may drive the playground from their own site (embeds, tutorials using
     * the Play with Docker API): comma-separated origins, or `*` for any origin (self-hosters).
     * Their cross-site requests get CORS with credentials (the page's origin is echoed) and their
     * sessions are counted per origin. Added to ALLOWED_ORIGINS, which means the same for
     * POST /api/v1/sessions.
     */
    EMBED_ORIGINS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
        if (entries.includes('*')) return { any: true, origins: [] as string[] };
        const origins: string[] = [];
        for (const entry of entries) {
          const url = URL.parse(entry);
          if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/+$/, '')) {
            ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin such as https://docs.example.com (or * for any)` });
            continue;
          }
          origins.push(url.origin);
        }
        return { any: false, origins };
      }),
    /** Largest file one Play with Docker upload may carry (bytes). */
    PWD_UPLOAD_MAX_BYTES: positiveInt(8 * 1024 * 1024),
    /**
     * Largest file one upload into an instance (drag and drop, POST …/files/upload) may carry
     * (bytes). The orchestrator holds each file whole and hands it to the node agent in one
     * Socket.IO message, whose client refuses messages over 100 MiB: hence the ceiling.
     */
    FILES_UPLOAD_MAX_BYTES: z.coerce.number().int().positive().max(96 * 1024 * 1024).default(50 * 1024 * 1024),
    /** Largest file the page's editor opens and saves (bytes); bigger ones can still be downloaded. */
    FILES_EDITOR_MAX_BYTES: positiveInt(1024 * 1024),
    /** How long a one-off command in an instance (a lab's setup or check, Play with Docker's exec) may run before it is killed. */
    PWD_EXEC_TIMEOUT_MS: positiveInt(60_000),
    /** Largest text frame the Play with Docker WebSocket accepts; a bigger one closes it (1009). */
    PWD_WS_MAX_FRAME_BYTES: positiveInt(256 * 1024),
    /** New sessions one client address may start per minute (counted in Redis, so a restart does not reset the count). */
    RATE_LIMIT_SESSIONS_PER_MINUTE: positiveInt(10),
    /** New sessions all pages of one allowed foreign origin (an embed) may start per minute. */
    RATE_LIMIT_SESSIONS_PER_ORIGIN_PER_MINUTE: positiveInt(120),
    /** New instances one client address may create per minute. */
    RATE_LIMIT_INSTANCES_PER_MINUTE: positiveInt(30),
    /** New instances all pages of one allowed foreign origin may create per minute. */
    RATE_LIMIT_INSTANCES_PER_ORIGIN_PER_MINUTE: positiveInt(300),
    /** Terminal `input` events one browser connection may send per second (bursts up to twice that). */
    TERMINAL_INPUT_EVENTS_PER_SECOND: positiveInt(200),
    /** Terminal `resize` events one browser connection may send per second (bursts up to twice that). */
    TERMINAL_RESIZE_EVENTS_PER_SECOND: positiveInt(10),
    /** Shells (terminal tabs) one instance may have open at once, its main shell included. */
    TERMINAL_SHELLS_PER_INSTANCE: positiveInt(4),
    /** Port-proxy requests and WebSockets open at once to one instance; more are answered 429. */
    PORT_PROXY_MAX_CONNECTIONS_PER_INSTANCE: positiveInt(200),
    /** How long the port proxy waits for an instance to accept a connection before answering 504. */
    PORT_PROXY_CONNECT_TIMEOUT_MS: positiveInt(5_000),
    /** How long a proxied HTTP request may stay silent (no bytes from the instance) before 504 / cut. */
    PORT_PROXY_IDLE_TIMEOUT_MS: positiveInt(120_000),
    /**
     * Accept node agents whose SECURITY_MODE lets root in an instance become root on the host
     * (`minimal-caps`, `privileged`) although PUBLIC_URL is not a loopback address. Without it
     * such agents are refused (and exit) whenever the playground faces a network.
     */
    ALLOW_UNSAFE_SECURITY_MODE: z.stringbool().default(false),
    /**
     * Folder of the labs served at /api/v1/labs (labs/<language>/<slug>.md, format in
     * labs/README.md); default the repository's labs/. Every lab is validated at start.
     */
    LABS_DIR: z.string().min(1).optional(),
    /**
     * Folder of session templates (templates/<id>.yaml, see templates/README.md); default the
     * repository's templates/. Every template is validated at start.
     */
    TEMPLATES_DIR: z.string().min(1).optional(),
    /**
     * Port of the SSH gateway (`ssh <instanceId>@<host> -p <port>`, src/ssh/). 0 picks a free
     * port (tests).
     */
    SSH_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_SSH_PORT),
    /**
     * Address the SSH gateway binds to. Default: 127.0.0.1 while PUBLIC_URL is a loopback
     * address, else every interface (learners connect from their own machines).
     */
    SSH_HOST: z.string().min(1).optional(),
    /** Host name shown in the ssh command next to each instance; default PUBLIC_URL's hostname. */
    SSH_PUBLIC_HOST: z.string().min(1).optional(),
    /**
     * The gateway's host key (OpenSSH format), made on first start and kept, so clients never
     * see it change. Replicas must share one file. Default `.playground/ssh_host_ed25519_key`
     * in the repository.
     */
    SSH_HOST_KEY_PATH: z.string().min(1).default(DEFAULT_SSH_HOST_KEY_PATH),
    /** SSH connections open at once to one instance; more are refused with a message. */
    SSH_MAX_CONNECTIONS_PER_INSTANCE: positiveInt(10),
    /** An SSH connection with no traffic in either direction for this long is closed. */
    SSH_IDLE_TIMEOUT_MS: positiveInt(30 * 60_000),
    /**
     * Key that signs instructors' sign-in cookies (Better Auth). Default: derived from
     * AGENT_SECRET, so a playground started with `npm start` needs nothing more; set it to
     * rotate instructors' sign-ins without touching node tokens.
     */
    AUTH_SECRET: z.string().min(32, 'AUTH_SECRET must be at least 32 characters').optional(),
    /** GitHub sign-in for instructors (an OAuth app's id and secret); only accounts the admin created may sign in. */
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    /** OpenID Connect sign-in for instructors: the provider's discovery URL (…/.well-known/openid-configuration), client id and secret. */
    OIDC_DISCOVERY_URL: z.string().url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** How many minutes before a workshop's `startsAt` its seats are prepared by themselves. */
    WORKSHOP_PREPARE_LEAD_MINUTES: positiveInt(10),
    /** Seats one workshop may have. */
    WORKSHOP_MAX_SEATS: positiveInt(200),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((env) => {
    const publicUrl = new URL(env.PUBLIC_URL);
    return {
      ...env,
      PUBLIC_URL: publicUrl.origin,
      PORTS_DOMAIN: (env.PORTS_DOMAIN ?? defaultPortsDomain(publicUrl.hostname)).toLowerCase(),
      /** The port the browser uses (explicit or the scheme's default), for host-form port URLs. */
      publicPort: Number(publicUrl.port || (publicUrl.protocol === 'https:' ? 443 : 80)),
      publicScheme: publicUrl.protocol.replace(':', ''),
      /** Whether browsers beyond this machine can reach the playground (PUBLIC_URL is not loopback). */
      publiclyReachable: !isLoopbackHost(publicUrl.hostname),
      SSH_HOST: env.SSH_HOST ?? (isLoopbackHost(publicUrl.hostname) ? '127.0.0.1' : '0.0.0.0'),
      SSH_PUBLIC_HOST: env.SSH_PUBLIC_HOST ?? publicUrl.hostname,
    };
  });

export type Config = z.output<typeof ConfigSchema>;

/** Every variable this module reads, for the launcher to pass on (infra/launcher/settings.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.in.shape);

export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
