import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { deriveNodeToken } from '@playground/contracts/node-token';

// Writes infra/compose/.env: the public address, the TLS mode and fresh secrets of a Compose
// deployment (README "Secrets"). Run once per deployment; it refuses to overwrite an existing
// file, since the database and Redis keep the passwords they were created with.
//
//   node --import tsx infra/compose/make-env.ts --public-url https://play.example.com --tls acme --email ops@example.com

export const TLS_MODES = ['acme', 'internal', 'off'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export interface ComposeEnvOptions {
  /** Where browsers reach the playground, e.g. https://play.example.com or http://localhost:8080. */
  publicUrl: string;
  tls: TlsMode;
  /** ACME account e-mail (tls acme). */
  acmeEmail?: string;
  nodeId?: string;
  /** Extra variables (ports, limits); they win over the defaults. */
  extra?: Record<string, string>;
}

const secret = (bytes: number) => randomBytes(bytes).toString('hex');

/** The variables docker-compose.yml reads, with new random secrets. */
export function composeEnv(options: ComposeEnvOptions): Record<string, string> {
  const url = new URL(options.publicUrl);
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search) {
    throw new Error(`--public-url must be an origin such as https://play.example.com, not ${options.publicUrl}`);
  }
  if ((options.tls === 'off') !== (url.protocol === 'http:')) {
    throw new Error(`--tls ${options.tls} needs an ${options.tls === 'off' ? 'http' : 'https'}:// public URL`);
  }
  if (options.tls === 'acme' && !options.acmeEmail) throw new Error('--tls acme needs --email (the ACME account address)');
  const portsDomain = `ports.${url.hostname}`;
  const port = url.port ? `:${url.port}` : '';
  const nodeId = options.nodeId ?? 'node-1';
  const agentSecret = secret(32);
  return {
    PUBLIC_URL: url.origin,
    PORTS_DOMAIN: portsDomain,
    CADDY_SITE: url.origin,
    CADDY_PORTS_SITE: `${url.protocol}//*.${portsDomain}${port}`,
    CADDY_TLS: options.tls,
    ACME_EMAIL: options.acmeEmail ?? '',
    NODE_ID: nodeId,
    POSTGRES_PASSWORD: secret(24),
    REDIS_PASSWORD: secret(24),
    ADMIN_TOKEN: secret(24),
    AUTH_SECRET: secret(32),
    AGENT_SECRET: agentSecret,
    // The agent holds only its own node's token, never AGENT_SECRET.
    AGENT_TOKEN: deriveNodeToken(agentSecret, nodeId),
    ...options.extra,
  };
}

/** .env text: one KEY=value a line (values here never need quoting: hex, URLs, names). */
export function envFileText(env: Record<string, string>): string {
  return `# Written by infra/compose/make-env.ts. Keep it secret (mode 0600); see README "Secrets".\n${Object.entries(env)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      'public-url': { type: 'string' },
      tls: { type: 'string', default: 'acme' },
      email: { type: 'string' },
      'node-id': { type: 'string' },
      out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '.env') },
    },
  });
  if (!values['public-url']) throw new Error('--public-url is required, e.g. --public-url https://play.example.com');
  if (!(TLS_MODES as readonly string[]).includes(values.tls)) throw new Error(`--tls is one of ${TLS_MODES.join(', ')}`);
  if (existsSync(values.out)) throw new Error(`${values.out} exists; its secrets are in use (delete it only with the volumes)`);
  const env = composeEnv({ publicUrl: values['public-url'], tls: values.tls as TlsMode, acmeEmail: values.email, nodeId: values['node-id'] });
  writeFileSync(values.out, envFileText(env), { mode: 0o600, flag: 'wx' });
  console.log(`wrote ${values.out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`make-env: ${(error as Error).message}`);
    process.exit(2);
  }
}
