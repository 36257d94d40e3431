import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Queue, QueueEvents } from 'bullmq';
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { JOB, jobId, newInstanceId, newSessionId, type CreateInstanceResult } from '@playground/contracts';
import { removeNodeResources, requireDocker, requireRedis, testLogger, TEST_LIMITS, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { LifecycleWorker } from './worker.ts';

const nodeId = uniqueNodeId();
const queueName = `test-node-agent-${randomBytes(4).toString('hex')}`;
const limits = TEST_LIMITS;

let docker: Docker;
let redis: Redis;
let queue: Queue;
let events: QueueEvents;
let worker: LifecycleWorker;
const processed: string[] = [];

before(async () => {
  docker = await requireDocker();
  redis = await requireRedis();
  const provisioner = testProvisioner(docker, nodeId);
  worker = new LifecycleWorker({ nodeId, provisioner, connection: redis, concurrency: 4, logger: testLogger, queueName });
  worker.worker.on('active', (job) => processed.push(job.id!));
  queue = new Queue(queueName, { connection: redis });
  events = new QueueEvents(queueName, { connection: redis.duplicate() });
  await events.waitUntilReady();
  worker.start();
});

after(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await events?.close();
  redis?.disconnect();
  if (docker) await removeNodeResources(docker, nodeId);
});

test('a create job is processed and returns the instance; delete and close follow', async () => {
  const sessionId = newSessionId();
  const instanceId = newInstanceId();
  const job = await queue.add(JOB.createInstance, { sessionId, instanceId, hostname: 'node1', limits }, { jobId: jobId.createInstance(instanceId) });
  const result = (await job.waitUntilFinished(events, 90000)) as CreateInstanceResult;
  assert.equal(result.instanceId, instanceId);
  assert.match(result.ip, /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(result.containerId.length >= 12);
  assert.ok(worker.busy().instanceIds.size === 0);

  const del = await queue.add(JOB.deleteInstance, { sessionId, instanceId }, { jobId: jobId.deleteInstance(instanceId) });
  await del.waitUntilFinished(events, 30000);
  const close = await queue.add(JOB.closeSession, { sessionId }, { jobId: jobId.closeSession(sessionId) });
  await close.waitUntilFinished(events, 30000);
  assert.equal((await docker.listContainers({ all: true, filters: { label: [`playground.node=${nodeId}`] } })).length, 0);
});

test('the same job id added twice runs once', async () => {
  const sessionId = newSessionId();
  const id = jobId.closeSession(sessionId);
  const first = await queue.add(JOB.closeSession, { sessionId }, { jobId: id });
  const second = await queue.add(JOB.closeSession, { sessionId }, { jobId: id });
  assert.equal(second.id, first.id);
  await first.waitUntilFinished(events, 30000);
  await queue.add(JOB.closeSession, { sessionId }, { jobId: id }); // after completion, still the same job
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(processed.filter((p) => p === id).length, 1);
});

test('a malformed job fails at once, without retries', async () => {
  const job = await queue.add(JOB.createInstance, { sessionId: 'nope', hostname: 'Bad Host' }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
  await assert.rejects(job.waitUntilFinished(events, 10000), /bad instance.create job/);
  const state = await queue.getJob(job.id!);
  assert.equal(state?.attemptsMade, 1);
});
