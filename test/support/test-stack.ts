import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { removeNodeLeftovers } from '../../infra/launcher/node-cleanup.ts';
import { createStack, freePort, REPO_ROOT, waitForHealthy, waitForWeb, type ProcessName, type Stack } from '../../infra/launcher/stack.ts';
import { nodeEngineDockerHost } from '../../infra/node-engines.ts';
import { createTestDatabase } from './database.ts';
import { GENEROUS_RATE_LIMITS } from './generous-rate-limits.ts';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from './private-services.ts';

// A whole playground for one test file: its own database, its own redis-server,
// its own node ids (so its queues, labels and heartbeats touch nothing else), free ports.
// With `nodes: N`, node 1 uses the machine's Docker engine and node k its own engine from
// infra/node-engines.sh (shared by test files: started once, left running).
// Teardown ends every session and checks that nothing the stack made is left behind.

const run = promisify(execFile);

/**
 * The instance image the stack's agents run: PLAYGROUND_TEST_IMAGE (e.g. a new image built
 * beside the machine's with `PLAYGROUND_IMAGE=… infra/instance/build.sh`), else the default.
 */
export const TEST_INSTANCE_IMAGE = process.env.PLAYGROUND_TEST_IMAGE ?? 'playground/instance:latest';

export interface TestStack extends Stack {
  nodeIds: string[];
  databaseUrl: string;
  redisUrl: string;
  adminToken: string;
  /** The stack's own redis-server (a test may stop and start it). */
  redis: PrivateService;
  /** The stack's own PostgreSQL cluster, with `privatePostgres` (a test may stop and start it). */
  postgres?: PrivateService;
  /** JSON request against the public API (through the web server when it runs). */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }>;
  /** Same, with the admin bearer token (GET /api/v1/nodes, drain, …). */
  admin<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }>;
  /** `docker …` against the engine of one node of this stack. */
  docker(nodeId: string, args: string[]): Promise<string>;
  /** kill -9 one process (`agent:<nodeId>`, `orchestrator`, `web`). */
  kill(name: ProcessName): Promise<void>;
  /** Starts a killed or stopped process again. */
  restart(name: ProcessName): void;
  /**
   * Everything Docker has with this stack's node labels, on every node's engine: containers,
   * networks, volumes. The agents' warm pools (idle members, not yet any session's) are left
   * out unless `includePool`.
   */
  leftovers(options?: { includePool?: boolean }): Promise<string[]>;
  teardown(): Promise<void>;
}

export interface TestStackOptions {
  web?: boolean;
  /** Orchestrator replicas (`orchestrator`, `orchestrator:2`, …); more than one runs the web edge too. */
  orchestrators?: number;
  /** Node agents, each on its own Docker engine (node 1: the machine's). */
  nodes?: number;
  /** CAPACITY_INSTANCES of every agent. */
  capacity?: number;
  /** Extra environment per node (index 0 = node 1), on top of `env`. */
  nodeEnv?: (index: number) => Record<string, string>;
  /** Environment of every process. */
  env?: Record<string, string>;
  /** A PostgreSQL cluster of this stack's own (stack.postgres) instead of a database on the shared server. */
  privatePostgres?: boolean;
  /** The orchestrator's group id, for firewall rules that single it out (StackOptions.orchestratorGid). */
  orchestratorGid?: number;
}

/** DOCKER_HOST of node k (1-based) on this machine; undefined = the machine's engine. */
export function engineHost(index: number): string | undefined {
  return index === 0 ? undefined : nodeEngineDockerHost(index + 1);
}

export async function startTestStack(name: string, options: TestStackOptions = {}): Promise<TestStack> {
  const nodeCount = options.nodes ?? 1;
  await requireServices(nodeCount);
  const suffix = randomBytes(3).toString('hex');
  const nodeIds = Array.from({ length: nodeCount }, (_, index) => `t${suffix}-${index + 1}`);
  const engines = new Map(nodeIds.map((nodeId, index) => [nodeId, engineHost(index)]));

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  let databaseUrl: string;
  let redisUrl: string;
  let postgres: PrivateService | undefined;
  let redis: PrivateService;
  try {
    if (options.privatePostgres) {
      postgres = await startPrivatePostgres();
      const service = postgres;
      cleanups.push(() => service.close());
      databaseUrl = postgres.url;
    } else {
      const database = await createTestDatabase(name);
      cleanups.push(() => database.drop());
      databaseUrl = database.url;
    }
    // Always a redis-server of the stack's own: the orchestrator adopts every node whose
    // heartbeat it finds in its Redis, so stacks sharing a server (even on different logical
    // databases, which collide by chance) would schedule sessions onto each other's agents.
    redis = await startPrivateRedis();
    const service = redis;
    cleanups.push(() => service.close());
    redisUrl = redis.url;
  } catch (error) {
    await cleanUp();
    throw error;
  }

  const port = await freePort();
  const adminToken = randomBytes(16).toString('hex');
  const replicaCount = options.orchestrators ?? 1;
  // Several replicas run behind the edge, which sends each terminal to the replica holding its link.
  const web = (options.web ?? false) || replicaCount > 1;
  const replicas = [];
  for (let index = 1; index < replicaCount; index++) replicas.push({ port: await freePort(), sshPort: await freePort() });
  const stack = createStack({
    port,
    orchestratorPort: await freePort(),
    replicas,
    databaseUrl,
    redisUrl,
    agentSecret: randomBytes(32).toString('hex'),
    adminToken,
    nodes: nodeIds.map((nodeId, index) => {
      const host = engines.get(nodeId);
      return {
        nodeId,
        env: {
          ...(host ? { DOCKER_HOST: host } : {}),
          INSTANCE_IMAGE: TEST_INSTANCE_IMAGE,
          ...(options.capacity ? { CAPACITY_INSTANCES: String(options.capacity) } : {}),
          ...options.nodeEnv?.(index),
        },
      };
    }),
    web,
    env: {
      LOG_LEVEL: 'debug',
      PUBLIC_URL: `http://localhost:${port}`,
      // Never the default 2222, which a running playground (or another test's stack) may hold.
      SSH_PORT: String(await freePort()),
      ...GENEROUS_RATE_LIMITS,
      ...options.env,
    },
    logDir: path.join(REPO_ROOT, '.playground', 'test-logs', `${name}-${suffix}`),
    orchestratorGid: options.orchestratorGid,
  });

  try {
    for (const nodeId of nodeIds) stack.start(`agent:${nodeId}`);
    for (const replica of stack.orchestrators) stack.start(replica.name);
    // The web server needs nothing of the others to start, so it starts beside them.
    if (web) stack.start('web');
    await waitForHealthy(stack, 90_000);
    if (web) await waitForWeb(stack, 90_000);
  } catch (error) {
    await stack.shutdown({ closeSessions: false });
    // An agent that started before another process failed has made its warm pool already.
    await removeNodeLeftovers(stack.options.nodes).catch(() => undefined);
    await cleanUp();
    throw error;
  }

  const apiBase = web ? `http://127.0.0.1:${port}` : stack.orchestratorUrl;

  async function request<T>(method: string, route: string, body: unknown, headers: Record<string, string>) {
    const response = await fetch(`${apiBase}${route}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text; // e.g. a proxy's plain-text error page: the test's assertion shows it
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
  const api = <T>(method: string, route: string, body?: unknown) => request<T>(method, route, body, {});
  const admin = <T>(method: string, route: string, body?: unknown) =>
    request<T>(method, route, body, { authorization: `Bearer ${adminToken}` });

  async function docker(nodeId: string, args: string[]): Promise<string> {
    const host = engines.get(nodeId);
    const { stdout } = await run('docker', host ? ['-H', host, ...args] : args);
    return stdout;
  }

  async function leftovers({ includePool = false } = {}): Promise<string[]> {
    const found: string[] = [];
    for (const nodeId of nodeIds) {
      const filter = `label=playground.node=${nodeId}`;
      const format = (name: string) => `${name}|{{.Label "playground.pool"}}`;
      for (const kind of ['container', 'network', 'volume'] as const) {
        const args =
          kind === 'container'
            ? ['ps', '-a', '--filter', filter, '--format', format('{{.Names}}')]
            : [kind, 'ls', '--filter', filter, '--format', format('{{.Name}}')];
        for (const line of (await docker(nodeId, args)).split('\n').filter(Boolean)) {
          const [item, pool] = line.split('|');
          if (pool && !includePool) continue;
          found.push(`${kind} ${item} (${nodeId})`);
        }
      }
    }
    return found;
  }

  async function teardown(): Promise<void> {
    // A test that failed mid-outage: bring the services back so sessions can be closed.
    let revived = !redis!.running || (postgres !== undefined && !postgres.running);
    await redis!.start().catch(() => undefined);
    await postgres?.start().catch(() => undefined);
    const alive = (processName: ProcessName) => {
      const child = stack.processes.get(processName)?.child;
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    };
    const revive = (processName: ProcessName) => {
      if (alive(processName)) return;
      stack.start(processName);
      revived = true;
    };
    for (const replica of stack.orchestrators) revive(replica.name);
    for (const nodeId of nodeIds) revive(`agent:${nodeId}`);
    // Only what came back needs the wait (a drained node never reads "ready": waiting for it
    // would only run out the 30 s).
    if (revived) await waitForHealthy(stack, 30_000).catch(() => undefined);
    await stack.shutdown({ closeSessions: true });
    // Whatever a failed test left, and the warm pool: remove it so the next test starts clean
    // (the test itself asserts on leftovers() before teardown when cleanup is what it pins).
    await removeNodeLeftovers(stack.options.nodes);
    await cleanUp();
  }

  return Object.assign(stack, {
    nodeIds,
    databaseUrl,
    redisUrl,
    adminToken,
    redis: redis!,
    postgres,
    api,
    admin,
    docker,
    kill: (processName: ProcessName) => stack.stop(processName, 'SIGKILL'),
    restart: (processName: ProcessName) => void stack.start(processName),
    leftovers,
    teardown,
  });
}

/**
 * Brings up the extra Docker engines (fast when they run) and fails with a message that says
 * what to run, instead of a confusing connection error.
 */
async function requireServices(nodeCount: number): Promise<void> {
  const problems: string[] = [];
  await run('docker', ['info', '--format', '{{.ServerVersion}}']).catch(() => problems.push('no Docker engine answers'));
  await run('docker', ['image', 'inspect', TEST_INSTANCE_IMAGE, '--format', '{{.Id}}']).catch(() =>
    problems.push(`the instance image ${TEST_INSTANCE_IMAGE} is missing`),
  );
  await run('redis-server', ['--version']).catch(() => problems.push('redis-server is not installed'));
  if (problems.length) throw new Error(`${problems.join('; ')}. Run \`npm test\` (it prepares the machine) or infra/setup.sh.`);
  if (nodeCount > 1) {
    await run('bash', [path.join(REPO_ROOT, 'infra/node-engines.sh'), 'up', String(nodeCount)], { timeout: 300_000 }).catch((error) => {
      throw new Error(`the Docker engines for nodes 2..${nodeCount} did not start (infra/node-engines.sh up ${nodeCount}): ${error.stderr || error.message}`);
    });
  }
}
