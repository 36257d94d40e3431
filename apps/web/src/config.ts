import { defaultPortsDomain, OrchestratorUrlList, portHostDomains } from '@playground/contracts';
import { z } from 'zod';

// The web app's whole configuration, parsed once from the environment. Nothing else in
// apps/web reads process.env (pages get what they need from the API, not from env).

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const ConfigSchema = z.object({
  /** Port the edge server listens on (pages, API, terminals and port URLs share it). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Interface to bind; 0.0.0.0 for every interface. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Where the orchestrator serves /api/v1, /socket.io (terminals) and /ports: one URL, or
   * several replicas' URLs separated by commas (the edge spreads requests over the live ones).
   */
  ORCHESTRATOR_URL: OrchestratorUrlList.default(['http://127.0.0.1:4000']),
  /** Base URL the browser reaches the playground at; its host gives PORTS_DOMAIN's default. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
  /**
   * Parent domain of host-based port URLs: <instanceId>-<port>.<PORTS_DOMAIN>. Default
   * `ports.<PUBLIC_URL's hostname>` (as the orchestrator's), never the app's own host.
   */
  PORTS_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'PORTS_DOMAIN is a bare domain such as ports.localhost or ports.play.example.com')
    .optional(),
  /** development runs Next in dev mode (compiles on demand, HMR); production serves `.next`. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /**
   * When true, X-Forwarded-* headers from the client are kept and appended to (a trusted
   * load balancer sits in front). When false they are dropped, so a browser cannot spoof
   * its address to the orchestrator.
   */
  TRUST_PROXY: z.stringbool().default(false),
  /**
   * Origins whose pages may frame /embed/labs/… and /embed/terminal (comma-separated, or `*` for
   * any); the orchestrator reads the same variable for CORS. Other pages are never framed.
   */
  EMBED_ORIGINS: z
    .string()
    .default('')
    .refine(
      (value) => value.split(',').map((entry) => entry.trim()).filter(Boolean).every((entry) => entry === '*' || URL.parse(entry)?.origin === entry.replace(/\/+$/, '')),
      'EMBED_ORIGINS is a comma-separated list of origins such as https://docs.example.com, or *',
    ),
  LOG_LEVEL: LogLevel.default('info'),
});

/** Every variable this module reads, for the launcher to pass on (infra/launcher/settings.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape);

export interface WebConfig {
  port: number;
  host: string;
  /** One or more orchestrator replicas. */
  orchestratorUrls: string[];
  portsDomain: string;
  /** Parent domains of port hosts: PORTS_DOMAIN, and Play with Docker's direct.<public host>. */
  portHostDomains: string[];
  dev: boolean;
  trustProxy: boolean;
  embedOrigins: { any: boolean; origins: string[] };
  logLevel: z.infer<typeof LogLevel>;
}

export class ConfigError extends Error {
  readonly code = 'bad_config';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: Record<string, string | undefined>): WebConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  const publicHostname = new URL(c.PUBLIC_URL).hostname;
  const portsDomain = (c.PORTS_DOMAIN ?? defaultPortsDomain(publicHostname)).toLowerCase().replace(/\.$/, '');
  return {
    port: c.PORT,
    host: c.HOST,
    orchestratorUrls: c.ORCHESTRATOR_URL.map((url) => url.replace(/\/+$/, '')),
    portsDomain,
    portHostDomains: portHostDomains(portsDomain, publicHostname),
    // `test` behaves like production: it serves the build, which is what tests should pin.
    dev: c.NODE_ENV === 'development',
    trustProxy: c.TRUST_PROXY,
    embedOrigins: embedOriginsOf(c.EMBED_ORIGINS),
    logLevel: c.LOG_LEVEL,
  };
}

function embedOriginsOf(value: string): { any: boolean; origins: string[] } {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries.includes('*') ? { any: true, origins: [] } : { any: false, origins: entries.map((entry) => new URL(entry).origin) };
}
