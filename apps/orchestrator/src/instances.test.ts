import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, type SessionView } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';

// Instance creation and node loss under concurrency, against real Postgres and Redis (a
// BullMQ worker stands in for the node agent): parallel creates on one node must neither
// starve the connection pool behind the per-node lock nor overfill the node, and a node
// going down in the middle of a burst must not wait on the pool either. (64 MiB instances:
// the 8 GiB test nodes then count by slots.)

const PARALLEL = 20;

describe('instances: concurrent creation on one node', () => {
  let t: TestOrchestrator;
  let clientNo = 0;

  before(async () => {
    t = await startTestOrchestrator('instances', { MAX_SESSIONS_PER_CLIENT: '1000', INSTANCE_CREATE_TIMEOUT_MS: '20000', INSTANCE_MEMORY_MB: '64' });
  });
  after(async () => t?.close());

  /** A node of its own (the only ready one) with a worker that answers at once. */
  const soleNode = async (capacity: number) => {
    await t.app.db.node.updateMany({ data: { drained: true } });
    const nodeId = await t.addNode(capacity);
    t.worker(nodeId, async (job) =>
      job.name === JOB.createInstance ? { instanceId: job.data.instanceId, containerId: `c-${job.data.instanceId}`, ip: '10.8.0.2' } : { ok: true },
    );
    return nodeId;
  };
  const sessions = async (count: number) => {
    const made: SessionView[] = [];
    for (let i = 0; i < count; i++) {
      const response = await t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': `203.0.113.${++clientNo}` } });
      assert.equal(response.status, 201);
      made.push(await json<SessionView>(response));
    }
    return made;
  };
  const burst = async (ids: string[]) => {
    const responses = await Promise.all(ids.map((id) => t.request('POST', `/api/v1/sessions/${id}/instances`)));
    const bodies = await Promise.all(responses.map((response) => json(response)));
    return { statuses: responses.map((r) => r.status), codes: bodies.map((b) => b?.error?.code ?? 'ok') };
  };

  it(`${PARALLEL} sessions each add an instance at once: all 201`, async () => {
    const nodeId = await soleNode(100);
    const made = await sessions(PARALLEL);
    const { statuses, codes } = await burst(made.map((s) => s.id));
    assert.deepEqual(statuses.filter((s) => s !== 201), [], JSON.stringify(codes));
    assert.equal(await t.app.db.instance.count({ where: { nodeId, status: 'running' } }), PARALLEL);
  });

  it(`${PARALLEL} at once on a node with 5 slots: exactly 5 × 201, the rest 503 no_capacity, none over capacity`, async () => {
    const nodeId = await soleNode(5);
    const made = await sessions(PARALLEL);
    const { statuses, codes } = await burst(made.map((s) => s.id));
    assert.equal(statuses.filter((s) => s === 201).length, 5, JSON.stringify(codes));
    assert.equal(codes.filter((c) => c === 'no_capacity').length, PARALLEL - 5, JSON.stringify(codes));
    assert.equal(await t.app.db.instance.count({ where: { nodeId, status: { in: ['creating', 'running'] } } }), 5);
  });

  it('the node goes down during a burst of session and instance creations: every request answers, none with 500', async () => {
    const nodeId = await soleNode(100);
    const made = await sessions(PARALLEL);
    const creates = made.map((s) => t.request('POST', `/api/v1/sessions/${s.id}/instances`));
    const newSessions = Array.from({ length: PARALLEL }, () =>
      t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': '203.0.113.250' } }),
    );
    const lost = await t.app.nodes.markDown(nodeId, { reason: 'test' });
    const statuses = (await Promise.all([...creates, ...newSessions])).map((r) => r.status);
    assert.deepEqual(statuses.filter((s) => s >= 500 && s !== 503), [], JSON.stringify(statuses));
    assert.ok(lost.length >= PARALLEL, `lost ${lost.length} sessions`);
    assert.equal((await t.app.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status, 'down');
    // Whatever was created before the verdict was lost with the node; nothing live is left on it.
    assert.equal(await t.app.db.session.count({ where: { nodeId, status: 'active', id: { in: lost } } }), 0);
  });
});
