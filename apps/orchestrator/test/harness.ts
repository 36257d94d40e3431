import { randomBytes } from 'node:crypto';
import { Worker, type Processor } from 'bullmq';
import { nodeQueueName } from '@playground/contracts';
import { deriveNodeToken } from '@playground/contracts/node-token';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { GENEROUS_RATE_LIMITS } from '../../../test/support/generous-rate-limits.ts';
import { startPrivateRedis, type PrivateService } from '../../../test/support/private-services.ts';
import { buildOrchestrator, type Orchestrator } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';

// Shared by this app's tests: a real orchestrator on a free port, with its own migrated
// database on this host's Postgres and a Redis server of its own (test/support/
// private-services.ts), so no two test files meet in Redis: the node monitor adopts every
// heartbeat it finds there, and logical databases of one shared server collided.

export { startPrivateRedis, type PrivateService };

export interface TestOrchestrator {
  app: Orchestrator;
  baseUrl: string;
  port: number;
  prefix: string;
  database: TestDatabase;
  /** The Redis this orchestrator uses: its own server unless the test passed REDIS_URL. */
  redisUrl: string;
  agentSecret: string;
  /** The agent token of `nodeId` (generation 0, as the launcher gives it). */
  agentToken(nodeId: string): string;
  adminToken: string;
  /** A node that is ready now (fresh lastSeenAt) with room for `capacity` instances. */
  addNode(capacity?: number, id?: string): Promise<string>;
  /** A BullMQ worker on a node's queue, standing in for its agent. */
  worker(nodeId: string, processor: Processor): Worker;
  request(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestOrchestrator(
  name: string,
  env: Record<string, string> = {},
  options: { closeAllTimeoutMs?: number; startReaper?: boolean } = {},
): Promise<TestOrchestrator> {
  const database = await createTestDatabase(`orch-${name}`);
  let ownRedis: PrivateService | undefined;
  try {
    // A test that stops Redis under the orchestrator, or shares one between two orchestrators,
    // passes its own private server as REDIS_URL and closes it itself.
    if (!env.REDIS_URL) ownRedis = await startPrivateRedis();
    return await startWith(name, database, env.REDIS_URL ?? ownRedis!.url, ownRedis, env, options);
  } catch (error) {
    await ownRedis?.close();
    await database.drop();
    throw error;
  }
}

async function startWith(
  name: string,
  database: TestDatabase,
  redisUrl: string,
  ownRedis: PrivateService | undefined,
  env: Record<string, string>,
  options: { closeAllTimeoutMs?: number; startReaper?: boolean },
): Promise<TestOrchestrator> {
  const suffix = randomBytes(4).toString('hex');
  const prefix = `test-${name}-${suffix}`;
  const agentSecret = randomBytes(24).toString('hex');
  const adminToken = randomBytes(16).toString('hex');
  const config = parseConfig({
    ORCHESTRATOR_PORT: '0',
    // A free port: tests run side by side and next to a playground that holds 2222.
    SSH_PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    AGENT_SECRET: agentSecret,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'silent',
    ...GENEROUS_RATE_LIMITS,
    ...env,
  });
  const app = await buildOrchestrator(config, createLogger(config.LOG_LEVEL), {
    queuePrefix: prefix,
    startReaper: options.startReaper ?? false,
    closeAllTimeoutMs: options.closeAllTimeoutMs ?? 5_000,
  });
  const { port } = await app.listen();
  const baseUrl = `http://127.0.0.1:${port}`;
  const workers: Worker[] = [];
  let nodes = 0;

  return {
    app,
    baseUrl,
    port,
    prefix,
    database,
    redisUrl,
    agentSecret,
    agentToken: (nodeId) => deriveNodeToken(agentSecret, nodeId),
    adminToken,
    async addNode(capacity = 10, id = `n${suffix}-${++nodes}`) {
      await app.db.node.create({
        data: { id, name: id, capacityInstances: capacity, capacityMemory: 8n << 30n, lastSeenAt: new Date() },
      });
      return id;
    },
    worker(nodeId, processor) {
      const worker = new Worker(nodeQueueName(nodeId), processor, {
        connection: { url: redisUrl, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 100, 1_000) },
        prefix,
      });
      // Outage tests stop Redis under it; the worker reconnects by itself.
      worker.on('error', () => undefined);
      workers.push(worker);
      return worker;
    },
    request(method, path, init = {}) {
      return fetch(`${baseUrl}${path}`, { method, body: init.body, headers: init.headers });
    },
    async close() {
      try {
        await Promise.allSettled(workers.map((worker) => worker.close()));
        await app.close();
      } finally {
        // Its Redis goes away whole with its keys; a REDIS_URL passed in is the test's to close.
        await ownRedis?.close();
        await database.drop();
      }
    },
  };
}

export async function json<T = any>(response: Response): Promise<T> {
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
