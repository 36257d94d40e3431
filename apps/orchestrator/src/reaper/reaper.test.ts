import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT, JOB, jobId, newInstanceId, nodeHeartbeatKey, type SessionView } from '@playground/contracts';
import { Redis } from 'ioredis';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';

// The reaper running on its own timer against real Postgres and a real BullMQ queue.

describe('reaper', () => {
  let t: TestOrchestrator;
  let redis: Redis;
  let nodeId: string;

  before(async () => {
    // 0.01 minutes = 600 ms sessions, swept every 200 ms.
    t = await startTestOrchestrator('reaper', { SESSION_TTL_MINUTES: '0.01', REAPER_INTERVAL_MS: '200', NODE_DOWN_AFTER_MS: '1000' }, { startReaper: true });
    redis = new Redis(t.redisUrl);
    nodeId = await t.addNode();
  });
  after(async () => {
    await redis?.del(nodeHeartbeatKey(nodeId));
    redis?.disconnect();
    await t?.close();
  });

  it('expires a session: closing, close job on the node queue, audit session.expired; ended once the job completed', async () => {
    // Keep the node alive for the node monitor while this test runs.
    const beat = () =>
      redis.set(
        nodeHeartbeatKey(nodeId),
        JSON.stringify({ nodeId, name: nodeId, engineVersion: '20.10', capacity: { instances: 10, memoryBytes: 1 << 30 }, usage: { instances: 0 } }),
        'PX',
        5_000,
      );
    await beat();
    // The node monitor has read the beat (the node's row now carries what it announced).
    await eventually(async () => (await t.app.db.node.findUniqueOrThrow({ where: { id: nodeId } })).engineVersion === '20.10', {
      timeoutMs: 8_000,
      description: 'the node monitor to have read the heartbeat',
    });
    const response = await t.request('POST', '/api/v1/sessions');
    assert.equal(response.status, 201, await response.clone().text());
    const session = await json<SessionView>(response);
    const instanceId = newInstanceId();
    await t.app.db.instance.create({ data: { id: instanceId, sessionId: session.id, nodeId, hostname: 'node1', status: 'running', ip: '10.0.0.9' } });

    await eventually(async () => (await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } })).status === 'closing', { timeoutMs: 8_000, description: 'the session to be closing' });
    const job = await eventually(() => t.app.queues.queue(nodeId).getJob(jobId.closeSession(session.id)), { timeoutMs: 8_000, description: 'the close-session job on the node queue' });
    assert.equal(job.name, JOB.closeSession);
    assert.deepEqual(job.data, { sessionId: session.id });
    assert.equal(await job.getState(), 'waiting');
    const audit = await t.app.db.auditEvent.findFirst({ where: { sessionId: session.id, type: EVENT.sessionExpired } });
    assert.ok(audit, 'session.expired recorded');
    assert.equal((await t.request('GET', `/api/v1/sessions/${session.id}`)).status, 404);

    // A lost close job is sent again.
    await job.remove();
    await eventually(() => t.app.queues.queue(nodeId).getJob(jobId.closeSession(session.id)), { timeoutMs: 8_000, description: 'the close-session job on the node queue' });

    await beat();
    t.worker(nodeId, async () => ({ ok: true }));
    await eventually(async () => (await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } })).status === 'ended', { timeoutMs: 8_000, description: 'the session to be ended' });
    const instance = await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    assert.equal(instance.status, 'deleted');
    assert.ok(instance.deletedAt);
  });

  it('node monitor: a fresh heartbeat keeps the node ready; silence past NODE_DOWN_AFTER_MS marks it down', async () => {
    await redis.set(
      nodeHeartbeatKey(nodeId),
      JSON.stringify({ nodeId, name: 'renamed', engineVersion: '24.0', capacity: { instances: 3, memoryBytes: 1 << 30 }, usage: { instances: 0 } }),
      'PX',
      5_000,
    );
    const node = await eventually(async () => {
      const row = await t.app.db.node.findUniqueOrThrow({ where: { id: nodeId } });
      return row.name === 'renamed' ? row : null;
    }, { timeoutMs: 8_000, description: 'the node row renamed' });
    assert.equal(node.status, 'ready');
    assert.equal(node.capacityInstances, 3);
    await redis.del(nodeHeartbeatKey(nodeId));
    await eventually(async () => (await t.app.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status === 'down', { timeoutMs: 8_000, description: 'the node to be down' });
    assert.ok(await t.app.db.auditEvent.findFirst({ where: { nodeId, type: EVENT.nodeDown } }));
  });
});
