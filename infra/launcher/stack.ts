import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HealthView } from '@playground/contracts';
import { deriveNodeToken } from '@playground/contracts/node-token';

// Starts and stops the playground's own processes (orchestrator, node agents, web) on
// this machine. Used by `npm start` (infra/launcher/main.ts) and by the cross-app tests,
// so that what the tests exercise is exactly what a user starts.

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `orchestrator` is the first replica; `orchestrator:2`, `orchestrator:3`… the others. */
export type ProcessName = 'orchestrator' | `orchestrator:${number}` | 'web' | `agent:${string}`;

export interface NodeSpec {
  nodeId: string;
  /** Extra environment for this agent, e.g. DOCKER_HOST of its own engine. */
  env?: Record<string, string>;
}

export interface StackOptions {
  /** Public port of the web edge server. */
  port: number;
  /** Internal port of the orchestrator (loopback only). */
  orchestratorPort: number;
  /**
   * Further orchestrator replicas (`orchestrator:2`, …), each with its own internal port and
   * ssh port. With any, the agents dial the web edge (which spreads them over the replicas and
   * moves them off a dead one), so the web edge must run too.
   */
  replicas?: Array<{ port: number; sshPort: number }>;
  databaseUrl: string;
  redisUrl: string;
  /** AGENT_SECRET of the orchestrator; each agent gets only its own token derived from it. */
  agentSecret: string;
  adminToken: string;
  nodes: NodeSpec[];
  /** Start the web edge server too (it needs `next build` to have run). */
  web: boolean;
  /** Environment given to every process, on top of the defaults (limits, TTLs, …). */
  env?: Record<string, string>;
  /** Where each process's log goes (one file per process). */
  logDir: string;
  /**
   * Run the orchestrator under this group id (the user stays the same), so a firewall rule
   * can single out its traffic (`iptables -m owner --gid-owner`). Tests only.
   */
  orchestratorGid?: number;
}

export interface RunningProcess {
  name: ProcessName;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export interface Stack {
  options: StackOptions;
  baseUrl: string;
  orchestratorUrl: string;
  /** Every replica's process name and URL, the first being `orchestrator`/orchestratorUrl. */
  orchestrators: Array<{ name: ProcessName; url: string }>;
  processes: Map<ProcessName, RunningProcess>;
  /** Starts (or restarts) one process by name. */
  start(name: ProcessName): RunningProcess;
  /** SIGTERM (or SIGKILL) one process and wait for it to exit. */
  stop(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  /** Deliberate shutdown: end every session, remove their instances, stop all processes. */
  shutdown(options?: { closeSessions?: boolean }): Promise<void>;
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The orchestrator replicas of a stack, in order. */
export function orchestratorsOf(options: StackOptions): Array<{ name: ProcessName; port: number; sshPort?: number }> {
  const extra = (options.replicas ?? []).map((replica, index) => ({ name: `orchestrator:${index + 2}` as ProcessName, port: replica.port, sshPort: replica.sshPort }));
  return [{ name: 'orchestrator', port: options.orchestratorPort }, ...extra];
}

/** Where a process's log goes: `agent:node-1` → <logDir>/agent-node-1.log. */
function logFileOf(logDir: string, name: ProcessName): string {
  return path.join(logDir, `${name.replace(':', '-')}.log`);
}

function isOrchestrator(name: ProcessName): boolean {
  return name === 'orchestrator' || name.startsWith('orchestrator:');
}

function commandFor(name: ProcessName): { args: string[]; cwd: string } {
  if (isOrchestrator(name)) return { args: ['apps/orchestrator/src/main.ts'], cwd: REPO_ROOT };
  if (name === 'web') return { args: ['server.ts'], cwd: path.join(REPO_ROOT, 'apps/web') };
  return { args: ['apps/node-agent/src/main.ts'], cwd: REPO_ROOT };
}

function environmentFor(name: ProcessName, options: StackOptions): Record<string, string> {
  const replicas = orchestratorsOf(options);
  const orchestratorUrls = replicas.map((replica) => `http://127.0.0.1:${replica.port}`);
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    REDIS_URL: options.redisUrl,
    ...options.env,
    // The orchestrator builds port URLs from it, the web edge derives PORTS_DOMAIN from it.
    PUBLIC_URL: options.env?.PUBLIC_URL ?? `http://localhost:${options.port}`,
  };
  if (isOrchestrator(name)) {
    const replica = replicas.find((candidate) => candidate.name === name)!;
    return {
      ...common,
      ...(replica.sshPort === undefined ? {} : { SSH_PORT: String(replica.sshPort) }),
      ORCHESTRATOR_HOST: '127.0.0.1',
      ORCHESTRATOR_PORT: String(replica.port),
      DATABASE_URL: options.databaseUrl,
      ADMIN_TOKEN: options.adminToken,
      AGENT_SECRET: options.agentSecret,
    };
  }
  if (name === 'web') {
    return { ...common, PORT: String(options.port), ORCHESTRATOR_URL: orchestratorUrls.join(',') };
  }
  const nodeId = name.slice('agent:'.length);
  const node = options.nodes.find((candidate) => candidate.nodeId === nodeId);
  // Generation 0: a node whose token an operator rotated (POST /api/v1/nodes/:id/token)
  // needs that token given as AGENT_TOKEN in its env (NodeSpec.env wins).
  // The agents are on the replicas' own host: they dial the replicas themselves (moving to the
  // next when a link fails), not the edge, which would relay every keystroke and echo once more.
  return { ...common, NODE_ID: nodeId, ORCHESTRATOR_URL: orchestratorUrls.join(','), AGENT_TOKEN: deriveNodeToken(options.agentSecret, nodeId), ...node?.env };
}

export function createStack(options: StackOptions): Stack {
  mkdirSync(options.logDir, { recursive: true });
  const processes = new Map<ProcessName, RunningProcess>();
  const orchestratorUrl = `http://127.0.0.1:${options.orchestratorPort}`;

  // Children no longer share our process group: if this process ends without stopping them
  // (an uncaught error, process.exit), they must not outlive it.
  process.once('exit', () => {
    for (const running of processes.values()) if (running.child.exitCode === null) running.child.kill('SIGKILL');
  });

  function start(name: ProcessName): RunningProcess {
    const { args, cwd } = commandFor(name);
    const logFile = logFileOf(options.logDir, name);
    const log = createWriteStream(logFile, { flags: 'a' });
    // Only what the process needs: PATH and the like, plus its own variables.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...environmentFor(name, options) };
    // A process group of its own: Ctrl-C in a terminal signals the launcher's group only, so the
    // launcher can end every session through a still-running orchestrator before stopping it.
    const gid = name === 'orchestrator' ? options.orchestratorGid : undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, gid });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const running = { name, child, logFile, exited };
    processes.set(name, running);
    return running;
  }

  async function stop(name: ProcessName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const running = processes.get(name);
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
    running.child.kill(signal);
    // The grace timer is cancelled once the process exits: a pending timer would keep the
    // caller (a test file, the launcher) alive for the rest of the 15 s.
    const grace = new AbortController();
    const timedOut = await Promise.race([
      running.exited.then(() => false),
      sleep(15_000, true, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (timedOut) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  }

  const orchestrators = orchestratorsOf(options).map((replica) => ({ name: replica.name, url: `http://127.0.0.1:${replica.port}` }));

  async function shutdown({ closeSessions = true } = {}): Promise<void> {
    // Any replica that still runs can end every session.
    const live = orchestrators.find((replica) => processes.get(replica.name)?.child.exitCode === null && processes.get(replica.name)?.child.signalCode === null);
    if (closeSessions && live) {
      await fetch(`${live.url}/api/v1/admin/sessions/close-all`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(60_000),
      }).catch(() => undefined);
    }
    // Web first (no new requests), then the orchestrator, then the agents that did the work.
    await stop('web');
    await Promise.all(orchestrators.map((replica) => stop(replica.name)));
    await Promise.all(options.nodes.map((node) => stop(`agent:${node.nodeId}`)));
  }

  return {
    options,
    baseUrl: `http://localhost:${options.port}`,
    orchestratorUrl,
    orchestrators,
    processes,
    start,
    stop,
    shutdown,
  };
}

/** What waitForHealthy needs of a stack: the replicas to ask, the nodes to expect, where the logs are. */
export type HealthTarget = Pick<Stack, 'orchestrators' | 'orchestratorUrl' | 'processes'> & { options: Pick<StackOptions, 'nodes' | 'logDir'> };

/**
 * Waits until every replica is healthy and every expected node is ready (heartbeats) and
 * linked (its agent's live link to some replica, which carries its terminals and ports). A
 * node is ready a few seconds before its agent links (the agent retries with a backoff): a
 * first instance in between was refused, so nothing counts as started before both.
 */
export async function waitForHealthy(stack: HealthTarget, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    assertAllRunning(stack);
    try {
      // Every replica answers (each is asked in turn); the first one's view of the nodes counts
      // (links are shared through Redis, so it sees a link held by any replica).
      for (const replica of stack.orchestrators.slice(1)) {
        const answer = HealthView.parse(await (await fetch(`${replica.url}/api/v1/health`, { signal: AbortSignal.timeout(2_000) })).json());
        if (!answer.ok) throw new Error(`${replica.name}: ${JSON.stringify(answer)}`);
      }
      const response = await fetch(`${stack.orchestratorUrl}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
      const body = HealthView.parse(await response.json());
      const waiting = nodesNotServing(body, stack.options.nodes.map((node) => node.nodeId), stack.options.logDir);
      if (body.ok && !waiting) return;
      last = body.ok ? waiting! : JSON.stringify(body);
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`the playground did not become ready within ${timeoutMs} ms: ${last}; logs in ${stack.options.logDir}`);
}

/** Why the expected nodes cannot serve a new instance yet, naming each; undefined when all can. */
function nodesNotServing(health: HealthView, expected: string[], logDir: string): string | undefined {
  const byId = new Map(health.nodes.map((node) => [node.id, node]));
  const notReady = expected.filter((id) => byId.get(id)?.status !== 'ready');
  if (notReady.length) return `waiting for node(s) ${notReady.join(', ')} to be ready (no fresh heartbeat yet)`;
  const unlinked = expected.filter((id) => !byId.get(id)!.linked);
  if (unlinked.length) {
    const logs = unlinked.map((id) => logFileOf(logDir, `agent:${id}`)).join(', ');
    return `node(s) ${unlinked.join(', ')} send heartbeats but their agent has no link to any orchestrator replica (see ${logs})`;
  }
  return undefined;
}

/** Waits until the web edge server serves its landing page. */
export async function waitForWeb(stack: Stack, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    assertAllRunning(stack);
    try {
      const response = await fetch(`http://127.0.0.1:${stack.options.port}/`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`the web server did not answer within ${timeoutMs} ms (${last}); logs in ${stack.options.logDir}`);
}

function assertAllRunning(stack: Pick<Stack, 'processes'>): void {
  for (const running of stack.processes.values()) {
    if (running.child.exitCode !== null) {
      throw new Error(`${running.name} exited with code ${running.child.exitCode}; see ${running.logFile}`);
    }
  }
}
