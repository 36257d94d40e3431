import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, jobId, type InstanceView, type SessionView } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';

// The REST contract against a real orchestrator, Postgres and Redis; a BullMQ worker
// stands in for the node agent (the seam), answering create/delete/close jobs.

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('REST API /api/v1', () => {
  let t: TestOrchestrator;
  let nodeId: string;
  const seen: Array<{ name: string; id: string | undefined; data: any }> = [];

  before(async () => {
    t = await startTestOrchestrator('api', {
      MAX_SESSIONS_PER_CLIENT: '3',
      MAX_INSTANCES_PER_SESSION: '2',
      INSTANCE_CREATE_TIMEOUT_MS: '5000',
      PUBLIC_URL: 'http://localhost:8080',
    });
    nodeId = await t.addNode(10);
    t.worker(nodeId, async (job) => {
      seen.push({ name: job.name, id: job.id, data: job.data });
      if (job.name === JOB.createInstance) {
        if (job.data.hostname === 'node9') throw new Error('the image is missing');
        return { instanceId: job.data.instanceId, containerId: `c-${job.data.instanceId}`, ip: '10.1.2.3' };
      }
      return { ok: true };
    });
  });
  after(async () => t?.close());

  const post = (path: string, body?: string, headers: Record<string, string> = JSON_HEADERS) =>
    t.request('POST', path, { body, headers });

  it('GET /health reports Postgres, Redis and nodes', async () => {
    const response = await t.request('GET', '/api/v1/health');
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body.ok, true);
    assert.deepEqual(body.postgres, { ok: true });
    assert.deepEqual(body.redis, { ok: true });
    assert.equal(body.nodes[0].id, nodeId);
  });

  it('POST /sessions → 201 with {}, an empty body, or no body at all', async () => {
    for (const [body, headers] of [
      ['{}', JSON_HEADERS],
      ['', JSON_HEADERS],
      [undefined, {}],
    ] as const) {
      const response = await post('/api/v1/sessions', body, { ...headers, 'x-forwarded-for': `198.51.100.${seen.length + 50}` });
      assert.equal(response.status, 201, `body ${JSON.stringify(body)}`);
      const session = await json<SessionView>(response);
      assert.match(session.id, /^[a-z2-7]{32}$/);
      assert.equal(session.status, 'active');
      assert.deepEqual(session.instances, []);
      assert.deepEqual(session.limits, { maxInstances: 2 });
      const ttl = Date.parse(session.expiresAt) - Date.parse(session.createdAt);
      assert.ok(Math.abs(ttl - 240 * 60_000) < 5_000, `ttl ${ttl}`);
      const row = await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } });
      assert.equal(row.nodeId, nodeId);
    }
  });

  it('bad JSON, unknown fields and other content → 400 bad_request', async () => {
    let response = await post('/api/v1/sessions', '{"oops"');
    assert.equal(response.status, 400);
    assert.equal((await json(response)).error.code, 'bad_request');
    response = await post('/api/v1/sessions', '{"workshop":"x"}');
    assert.equal(response.status, 400);
    const body = await json(response);
    assert.equal(body.error.code, 'bad_request');
    assert.equal(typeof body.error.message, 'string');
    response = await post('/api/v1/sessions', '[]');
    assert.equal(response.status, 400);
    // A language the playground does not speak (or anything else in its place) is refused, not stored.
    for (const language of ['xx', '../etc/motd', 42]) {
      response = await post('/api/v1/sessions', JSON.stringify({ language }));
      assert.equal(response.status, 400, `language ${JSON.stringify(language)}`);
      assert.equal((await json(response)).error.code, 'bad_request');
    }
  });

  it('limits sessions per client address (X-Forwarded-For from a loopback proxy) → 429 session_limit', async () => {
    const headers = { ...JSON_HEADERS, 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) assert.equal((await post('/api/v1/sessions', '{}', headers)).status, 201);
    const response = await post('/api/v1/sessions', '{}', headers);
    assert.equal(response.status, 429);
    const body = await json(response);
    assert.equal(body.error.code, 'session_limit');
    assert.match(body.error.message, /\(3\)/);
    // Another client is not affected.
    assert.equal((await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '203.0.113.8' })).status, 201);
  });

  it('GET /sessions/:id: unknown and malformed ids → 404 not_found', async () => {
    for (const id of ['a'.repeat(32), 'not-an-id', '%00']) {
      const response = await t.request('GET', `/api/v1/sessions/${id}`);
      assert.equal(response.status, 404, id);
      assert.equal((await json(response)).error.code, 'not_found');
    }
  });

  it('instances: 201 running with hostnames node1, node2; the limit → 409; the view lists them with ports', async () => {
    const session = await json<SessionView>(await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '192.0.2.1' }));
    const first = await post(`/api/v1/sessions/${session.id}/instances`, '{}');
    assert.equal(first.status, 201);
    const one = await json<InstanceView>(first);
    assert.equal(one.hostname, 'node1');
    assert.equal(one.status, 'running');
    assert.equal(one.ip, '10.1.2.3');
    assert.equal(one.portUrlTemplate, `http://${one.id}-{port}.ports.localhost:8080/`);
    const job = seen.find((entry) => entry.id === jobId.createInstance(one.id));
    assert.deepEqual(job?.data.limits, { cpus: 1, memoryBytes: 1024 * 1024 * 1024, pids: 1000 });

    const two = await json<InstanceView>(await post(`/api/v1/sessions/${session.id}/instances`, ''));
    assert.equal(two.hostname, 'node2');

    const third = await post(`/api/v1/sessions/${session.id}/instances`, '{}');
    assert.equal(third.status, 409);
    const limit = await json(third);
    assert.equal(limit.error.code, 'instance_limit');
    assert.match(limit.error.message, /^This session already has 2 instances, the most allowed/);

    // 2375 (the inner engine API) is reported listening, yet never offered as a URL.
    await t.app.db.instance.update({ where: { id: one.id }, data: { ports: [8080, 2375, 80] } });
    const view = await json<SessionView>(await t.request('GET', `/api/v1/sessions/${session.id}`));
    assert.deepEqual(
      view.instances.map((i) => i.hostname),
      ['node1', 'node2'],
    );
    assert.deepEqual(view.instances[0]!.ports, [
      { port: 80, url: `http://${one.id}-80.ports.localhost:8080/`, pathUrl: `http://localhost:8080/ports/${one.id}/80/` },
      { port: 8080, url: `http://${one.id}-8080.ports.localhost:8080/`, pathUrl: `http://localhost:8080/ports/${one.id}/8080/` },
    ]);

    // DELETE → 204, status deleting, delete job sent; the reaper marks it deleted once done; hostnames are never reused.
    const deleted = await t.request('DELETE', `/api/v1/sessions/${session.id}/instances/${one.id}`);
    assert.equal(deleted.status, 204);
    const job2 = await t.app.queues.queue(nodeId).getJob(jobId.deleteInstance(one.id));
    assert.ok(job2, 'delete job enqueued');
    await job2.waitUntilFinished(await queueEvents(t, nodeId), 5_000).catch(() => undefined);
    await eventually(async () => {
      await t.app.reaper.runOnce();
      return (await t.app.db.instance.findUniqueOrThrow({ where: { id: one.id } })).status === 'deleted';
    }, { timeoutMs: 5_000, description: 'the instance to be deleted by the reaper' });
    const again = await json<InstanceView>(await post(`/api/v1/sessions/${session.id}/instances`, '{}'));
    assert.equal(again.hostname, 'node3');
    assert.equal((await t.request('DELETE', `/api/v1/sessions/${session.id}/instances/${'b'.repeat(26)}`)).status, 404);
  });

  it('a failed create job → 502 instance_failed with the agent message; the instance is failed', async () => {
    const session = await json<SessionView>(await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '192.0.2.2' }));
    await t.app.db.session.update({ where: { id: session.id }, data: { nextOrdinal: 9 } });
    const response = await post(`/api/v1/sessions/${session.id}/instances`, '{}');
    assert.equal(response.status, 502);
    const body = await json(response);
    assert.equal(body.error.code, 'instance_failed');
    assert.match(body.error.message, /the image is missing/);
    const row = await t.app.db.instance.findFirstOrThrow({ where: { sessionId: session.id } });
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /the image is missing/);
  });

  it('no answer from the node within INSTANCE_CREATE_TIMEOUT_MS → 504 timeout', async () => {
    const silent = await t.addNode(50); // more room than the other node: the next session lands here; no worker
    const session = await json<SessionView>(await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '192.0.2.3' }));
    assert.equal((await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } })).nodeId, silent);
    const response = await post(`/api/v1/sessions/${session.id}/instances`, '{}');
    assert.equal(response.status, 504);
    assert.equal((await json(response)).error.code, 'timeout');
    await t.app.db.node.update({ where: { id: silent }, data: { drained: true } });
  });

  it('DELETE /sessions/:id → 204, close job on its node, then GET → 404 session_ended; reaper ends it', async () => {
    const session = await json<SessionView>(await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '192.0.2.4' }));
    assert.equal((await t.request('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    const get = await t.request('GET', `/api/v1/sessions/${session.id}`);
    assert.equal(get.status, 404);
    assert.equal((await json(get)).error.code, 'session_ended');
    assert.ok(await t.app.queues.queue(nodeId).getJob(jobId.closeSession(session.id)), 'close job enqueued');
    await eventually(async () => {
      await t.app.reaper.runOnce();
      return (await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } })).status === 'ended';
    }, { timeoutMs: 5_000, description: 'the session to be ended by the reaper' });
    assert.equal((await post(`/api/v1/sessions/${session.id}/instances`, '{}')).status, 404);
    assert.equal((await t.request('DELETE', `/api/v1/sessions/${'c'.repeat(32)}`)).status, 404);
  });

  it('admin close-all needs the bearer token, then ends every active session', async () => {
    assert.equal((await post('/api/v1/admin/sessions/close-all', '{}')).status, 401);
    assert.equal(
      (await post('/api/v1/admin/sessions/close-all', '{}', { ...JSON_HEADERS, authorization: 'Bearer wrong' })).status,
      401,
    );
    // Sessions on the silent node cannot finish; move them to the node with a worker for this test.
    await t.app.db.session.updateMany({ where: { status: 'active' }, data: { nodeId } });
    const response = await post('/api/v1/admin/sessions/close-all', '{}', {
      ...JSON_HEADERS,
      authorization: `Bearer ${t.adminToken}`,
    });
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body.pending, 0);
    assert.ok(body.closed > 0);
    assert.equal(await t.app.db.session.count({ where: { status: { in: ['active', 'closing'] } } }), 0);
  });

  it('no ready node → 503 no_capacity with Retry-After', async () => {
    await t.app.db.node.updateMany({ data: { status: 'down' } });
    const response = await post('/api/v1/sessions', '{}', { ...JSON_HEADERS, 'x-forwarded-for': '192.0.2.5' });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '30');
    assert.equal((await json(response)).error.code, 'no_capacity');
  });

  it('unknown routes → 404 JSON', async () => {
    const response = await t.request('GET', '/api/v1/nope');
    assert.equal(response.status, 404);
    assert.equal((await json(response)).error.code, 'not_found');
  });
});

async function queueEvents(t: TestOrchestrator, nodeId: string) {
  const { QueueEvents } = await import('bullmq');
  const { nodeQueueName } = await import('@playground/contracts');
  const events = new QueueEvents(nodeQueueName(nodeId), { connection: { url: t.redisUrl }, prefix: t.prefix });
  await events.waitUntilReady();
  setTimeout(() => void events.close(), 6_000).unref();
  return events;
}
