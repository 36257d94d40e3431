import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createStack, freePort, REPO_ROOT, waitForHealthy, waitForWeb, type Stack } from '../../infra/launcher/stack.ts';
import { createTestDatabase } from './database.ts';

// A whole playground for one test file: its own database, its own Redis logical database,
// its own node id (so its queue, labels and heartbeats touch nothing else), free ports.
// Teardown ends every session and checks that nothing the stack made is left behind.

const run = promisify(execFile);

export interface TestStack extends Stack {
  nodeIds: string[];
  databaseUrl: string;
  /** JSON request against the public API (through the web server when it runs). */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }>;
  /** Everything Docker has with this stack's node label: containers, networks, volumes. */
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
}

export interface TestStackOptions {
  web?: boolean;
  nodes?: number;
  env?: Record<string, string>;
}

export async function startTestStack(name: string, options: TestStackOptions = {}): Promise<TestStack> {
  await requireServices();
  const suffix = randomBytes(3).toString('hex');
  const nodeIds = Array.from({ length: options.nodes ?? 1 }, (_, index) => `t${suffix}-${index + 1}`);
  const database = await createTestDatabase(name);
  // Logical Redis databases 1..15 keep each test stack's queues and heartbeats apart from
  // a playground that may run on this machine (database 0).
  const redisDb = 1 + (parseInt(suffix, 16) % 15);
  const redisUrl = `redis://127.0.0.1:6379/${redisDb}`;
  await flushRedis(redisUrl);
  const port = await freePort();
  const stack = createStack({
    port,
    orchestratorPort: await freePort(),
    databaseUrl: database.url,
    redisUrl,
    agentToken: randomBytes(16).toString('hex'),
    adminToken: randomBytes(16).toString('hex'),
    nodes: nodeIds.map((nodeId) => ({ nodeId })),
    web: options.web ?? false,
    env: { LOG_LEVEL: 'debug', PUBLIC_URL: `http://localhost:${port}`, ...options.env },
    logDir: path.join(REPO_ROOT, '.playground', 'test-logs', `${name}-${suffix}`),
  });

  try {
    for (const nodeId of nodeIds) stack.start(`agent:${nodeId}`);
    stack.start('orchestrator');
    await waitForHealthy(stack, 90_000);
    if (options.web) {
      stack.start('web');
      await waitForWeb(stack, 90_000);
    }
  } catch (error) {
    await stack.shutdown({ closeSessions: false });
    await database.drop();
    throw error;
  }

  const apiBase = options.web ? `http://127.0.0.1:${port}` : stack.orchestratorUrl;

  async function api<T>(method: string, route: string, body?: unknown) {
    const response = await fetch(`${apiBase}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }

  async function leftovers(): Promise<string[]> {
    const found: string[] = [];
    for (const nodeId of nodeIds) {
      const filter = `label=playground.node=${nodeId}`;
      for (const kind of ['container', 'network', 'volume'] as const) {
        const args = kind === 'container' ? ['ps', '-a', '--filter', filter, '--format', '{{.Names}}'] : [kind, 'ls', '--filter', filter, '--format', '{{.Name}}'];
        const { stdout } = await run('docker', args);
        found.push(...stdout.split('\n').filter(Boolean).map((item) => `${kind} ${item}`));
      }
    }
    return found;
  }

  async function teardown(): Promise<void> {
    await stack.shutdown({ closeSessions: true });
    // Whatever a failed test left: remove it so the next test starts clean (the test itself
    // asserts on leftovers() before teardown when cleanup is what it pins).
    for (const item of await leftovers()) {
      const [kind, id] = item.split(' ') as [string, string];
      await run('docker', kind === 'container' ? ['rm', '-f', '-v', id] : [kind, 'rm', id]).catch(() => undefined);
    }
    await flushRedis(redisUrl);
    await database.drop();
  }

  return Object.assign(stack, { nodeIds, databaseUrl: database.url, api, leftovers, teardown });
}

async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** Fails with a message that says what to run, instead of a confusing connection error. */
async function requireServices(): Promise<void> {
  const problems: string[] = [];
  await run('docker', ['info', '--format', '{{.ServerVersion}}']).catch(() => problems.push('no Docker engine answers'));
  await run('docker', ['image', 'inspect', 'playground/instance:latest', '--format', '{{.Id}}']).catch(() =>
    problems.push('the instance image playground/instance:latest is missing'),
  );
  await run('redis-cli', ['-u', 'redis://127.0.0.1:6379', 'ping']).catch(() => problems.push('Redis does not answer on 127.0.0.1:6379'));
  if (problems.length) throw new Error(`${problems.join('; ')}. Run \`npm test\` (it prepares the machine) or infra/setup.sh.`);
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}
