import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_DATABASE_URL } from '@playground/contracts/local-database';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeNodeLeftovers } from './node-cleanup.ts';
import { settingsFromEnvironment } from './settings.ts';
import { SECURITY_MODE_SUMMARY, type SecurityMode } from '../../apps/node-agent/src/instances/isolation.ts';
import { DEFAULT_SSH_HOST_KEY_PATH, DEFAULT_SSH_PORT } from '../../apps/orchestrator/src/config.ts';
import { loadHostKey } from '../../apps/orchestrator/src/ssh/ssh-host-key.ts';
import { createStack, REPO_ROOT, waitForHealthy, waitForWeb, type ProcessName, type Stack } from './stack.ts';
import { NODE_ENGINES_SCRIPT, nodeEngineDockerHost } from '../node-engines.ts';

// `npm start` ends here once infra/start.sh has prepared the machine: it runs the
// orchestrator, the node agent(s) and the web server, restarts any that crash (a crash
// loses nothing: state lives in Postgres and in container labels), and on Ctrl-C shuts
// down deliberately: every session is ended and its instances removed.

const STATE_DIR = path.join(REPO_ROOT, '.playground');

interface Secrets {
  /** The orchestrator's AGENT_SECRET; each agent is given only its own derived token. */
  agentSecret: string;
  adminToken: string;
}

/** Kept in .playground/secrets.json; a file from before per-node tokens gains an agentSecret. */
function readSecrets(): Secrets {
  const file = path.join(STATE_DIR, 'secrets.json');
  const stored: Partial<Secrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: Secrets = {
    agentSecret: stored.agentSecret ?? randomBytes(32).toString('base64url'),
    adminToken: stored.adminToken ?? randomBytes(24).toString('base64url'),
  };
  if (stored.agentSecret !== secrets.agentSecret || stored.adminToken !== secrets.adminToken) {
    mkdirSync(STATE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}

function say(message: string): void {
  process.stdout.write(`[playground] ${message}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1' }, orchestrators: { type: 'string', default: '1' } }, allowPositionals: true });
  const nodeCount = Number(values.nodes);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 8) throw new Error('--nodes takes a whole number from 1 to 8');
  const replicaCount = Number(values.orchestrators);
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 8) throw new Error('--orchestrators takes a whole number from 1 to 8');
  const port = Number(process.env.PORT ?? 8080);
  const secrets = readSecrets();
  const nodes = Array.from({ length: nodeCount }, (_, index) => ({
    nodeId: `node-${index + 1}`,
    env: nodeEngineEnv(index),
  }));

  if (nodeCount > 1) startNodeEngines(nodeCount);

  const orchestratorPort = Number(process.env.ORCHESTRATOR_PORT ?? 4000);
  const sshPort = Number(process.env.SSH_PORT ?? DEFAULT_SSH_PORT);
  const stack = createStack({
    port,
    orchestratorPort,
    // Replica k listens on ORCHESTRATOR_PORT + k - 1 and takes ssh on SSH_PORT + k - 1.
    replicas: Array.from({ length: replicaCount - 1 }, (_, index) => ({ port: orchestratorPort + index + 1, sshPort: sshPort + index + 1 })),
    databaseUrl: process.env.DATABASE_URL ?? LOCAL_DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    agentSecret: process.env.AGENT_SECRET || secrets.agentSecret,
    adminToken: process.env.ADMIN_TOKEN || secrets.adminToken,
    nodes,
    web: true,
    env: settingsFromEnvironment(process.env),
    logDir: path.join(STATE_DIR, 'logs'),
  });

  let stopping = false;
  const onSignal = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('shutting down: ending sessions and removing their instances…');
    await stack.shutdown({ closeSessions: true });
    const removed = await removeNodeLeftovers(nodes);
    if (removed.length) say(`removed ${removed.length} warm-pool containers, volumes and networks`);
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  for (const node of nodes) superviseProcess(stack, `agent:${node.nodeId}`, () => stopping);
  for (const replica of stack.orchestrators) superviseProcess(stack, replica.name, () => stopping);
  await waitForHealthy(stack, 90_000);
  superviseProcess(stack, 'web', () => stopping);
  await waitForWeb(stack, 90_000);
  say(`logs in ${stack.options.logDir}; Ctrl-C stops the playground and ends its sessions`);
  const mode = (process.env.SECURITY_MODE || 'userns') as SecurityMode;
  say(`security mode ${mode}: ${SECURITY_MODE_SUMMARY[mode] ?? 'unknown mode (the agents refuse it)'}`);
  say(await sshLine(process.env.PUBLIC_URL ?? stack.baseUrl));
  say(`Playground ready at ${process.env.PUBLIC_URL ?? stack.baseUrl}`);
}

/** How learners reach an instance from their own machine, with the key their client will be shown. */
async function sshLine(publicUrl: string): Promise<string> {
  const host = process.env.SSH_PUBLIC_HOST || new URL(publicUrl).hostname;
  const port = process.env.SSH_PORT || DEFAULT_SSH_PORT;
  // The orchestrator made the key before it answered healthy; this only reads it.
  const { fingerprint } = await loadHostKey(process.env.SSH_HOST_KEY_PATH || DEFAULT_SSH_HOST_KEY_PATH);
  return `SSH: ssh <instance id>@${host} -p ${port} (host key ${fingerprint})`;
}

/** Node 1 uses the machine's engine (DOCKER_HOST or the default socket); further nodes their own. */
function nodeEngineEnv(index: number): Record<string, string> {
  if (index === 0) return process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};
  return { DOCKER_HOST: nodeEngineDockerHost(index + 1) };
}

/**
 * Nodes 2..N each get a Docker engine of their own on this machine (infra/node-engines.sh:
 * idempotent, well under a second when they already run; the first time it also copies the
 * instance image into each). `infra/node-engines.sh stop` stops them.
 */
function startNodeEngines(nodeCount: number): void {
  say(`starting Docker engines for nodes 2..${nodeCount}`);
  const result = spawnSync('bash', [NODE_ENGINES_SCRIPT, 'up', String(nodeCount)], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`infra/node-engines.sh up ${nodeCount} failed (exit ${result.status ?? result.signal})`);
}

/** Starts a process and starts it again (with a growing pause) whenever it dies unasked. */
function superviseProcess(stack: Stack, name: ProcessName, isStopping: () => boolean): void {
  let failures = 0;
  const run = (): void => {
    const startedAt = Date.now();
    const running = stack.start(name);
    void running.exited.then(async (code) => {
      if (isStopping()) return;
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      const pause = Math.min(30_000, 500 * 2 ** failures);
      say(`${name} exited (code ${code}); restarting in ${pause} ms — see ${running.logFile}`);
      await sleep(pause);
      if (!isStopping()) run();
    });
  };
  run();
}

main().catch((error: Error) => {
  process.stderr.write(`[playground] could not start: ${error.message}\n`);
  process.exit(1);
});
