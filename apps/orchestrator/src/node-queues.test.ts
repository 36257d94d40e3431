import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Worker, type QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { nodeQueueName } from '@playground/contracts';
import { createLogger } from './logger.ts';
import { NodeQueues } from './node-queues.ts';
import { createRedis } from './redis.ts';
import { startPrivateRedis, type PrivateService } from '../test/harness.ts';

// Waiting for a job's outcome against a real Redis server of this file's own, with a real BullMQ worker standing in
// for the node agent: a finished job must settle its request even when the event stream
// that would have told us is missing or dropped.

const logger = createLogger('silent');

describe('NodeQueues.addAndWait: a job that finished is never missed', () => {
  const prefix = `test-nq-${randomBytes(4).toString('hex')}`;
  let server: PrivateService;
  let redisUrl: string;
  let redis: Redis;
  let admin: Redis;
  const workers: Worker[] = [];
  const queues: NodeQueues[] = [];

  before(async () => {
    server = await startPrivateRedis();
    redisUrl = server.url;
    redis = createRedis(redisUrl, logger);
    admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  });
  after(async () => {
    await Promise.allSettled(workers.map((worker) => worker.close()));
    await Promise.allSettled(queues.map((queue) => queue.close()));
    redis?.disconnect();
    admin?.disconnect();
    await server?.close();
  });

  const answer = (nodeId: string) => {
    const worker = new Worker(nodeQueueName(nodeId), async (job) => ({ echo: job.data.n }), {
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      prefix,
    });
    worker.on('error', () => undefined);
    workers.push(worker);
    return worker;
  };
  const nodeQueues = (eventsUrl: string, pollIntervalMs?: number) => {
    const made = new NodeQueues(redis, eventsUrl, logger, prefix, pollIntervalMs);
    queues.push(made);
    return made;
  };

  it('events never arrive (the events connection reads another database): the poll settles it', async () => {
    const nodeId = `nq-missing-${randomBytes(3).toString('hex')}`;
    const worker = answer(nodeId);
    await worker.waitUntilReady();
    // Queue and worker live in database 0; this QueueEvents listens on database 15 and hears nothing.
    const queues = nodeQueues(`${redisUrl}/15`);
    for (let n = 1; n <= 3; n++) {
      const result = await queues.addAndWait(nodeId, 'echo', { n }, `job-missing-${n}`, {}, 10_000);
      assert.deepEqual(result, { state: 'completed', returnvalue: { echo: n } });
    }
  });

  it('the events connection drops before its first read and the job finishes meanwhile: the event is still delivered (no polling)', async () => {
    const nodeId = `nq-dropped-${randomBytes(3).toString('hex')}`;
    const worker = answer(nodeId);
    await worker.waitUntilReady();
    // Polling off: this pins the event path alone.
    const queues = nodeQueues(redisUrl, 600_000);
    // Open the node's QueueEvents (as the first wait on a node does), then cut its connection
    // before it has read anything: the job is added and finished while it reconnects.
    const events = await (queues as unknown as { queueEvents(nodeId: string): Promise<QueueEvents> }).queueEvents(nodeId);
    // The backend's client is an ioredis connection; BullMQ types it as its own narrow interface.
    const client = (await events.getBackend().client) as unknown as Redis;
    const id = await client.client('ID');
    await admin.client('KILL', 'ID', String(id));
    const result = await queues.addAndWait(nodeId, 'echo', { n: 7 }, 'job-dropped', {}, 12_000);
    assert.deepEqual(result, { state: 'completed', returnvalue: { echo: 7 } });
  });

  it('a failed attempt with attempts left is a retry; only a job failed for good ends the wait as failed', async () => {
    const nodeId = `nq-failing-${randomBytes(3).toString('hex')}`;
    const worker = new Worker(
      nodeQueueName(nodeId),
      async (job) => {
        if (job.data.fail === 'always' || job.attemptsMade === 0) throw new Error(`attempt ${job.attemptsMade + 1} refused`);
        return { attempt: job.attemptsMade + 1 };
      },
      { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix },
    );
    worker.on('error', () => undefined);
    workers.push(worker);
    await worker.waitUntilReady();
    const queues = nodeQueues(redisUrl);
    const retried = await queues.addAndWait(nodeId, 'flaky', { fail: 'once' }, 'job-flaky', { attempts: 2 }, 10_000);
    assert.deepEqual(retried, { state: 'completed', returnvalue: { attempt: 2 } });
    const failed = await queues.addAndWait(nodeId, 'broken', { fail: 'always' }, 'job-broken', { attempts: 2 }, 10_000);
    assert.deepEqual(failed, { state: 'failed', failedReason: 'attempt 2 refused' });
    assert.deepEqual(await queues.outcome(nodeId, 'job-never-sent'), { state: 'missing' });
  });
});
