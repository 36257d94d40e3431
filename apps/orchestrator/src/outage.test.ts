import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, type InstanceView, type SessionView } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from '../../../test/support/private-services.ts';

const answerCreates = (t: TestOrchestrator, nodeId: string) =>
  t.worker(nodeId, async (job) =>
    job.name === JOB.createInstance ? { instanceId: job.data.instanceId, containerId: 'c', ip: '10.7.0.2' } : { ok: true },
  );

describe('Redis stops and starts under a running orchestrator', () => {
  let redis: PrivateService;
  let t: TestOrchestrator;
  let nodeId: string;

  before(async () => {
    redis = await startPrivateRedis();
    t = await startTestOrchestrator('outage-redis', { REDIS_URL: redis.url, INSTANCE_CREATE_TIMEOUT_MS: '10000' });
    nodeId = await t.addNode(10);
    answerCreates(t, nodeId);
  });
  after(async () => {
    await t?.close();
    await redis?.close();
  });

  it('health 503 and API 503 unavailable while down; recovers in the same process', async () => {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions'));
    const first = await t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    assert.equal(first.status, 201);
    const one = await json<InstanceView>(first);

    await redis.stop();
    const health = await t.request('GET', '/api/v1/health');
    assert.equal(health.status, 503);
    const body = await json(health);
    assert.equal(body.redis.ok, false);
    assert.equal(body.postgres.ok, true);

    const before = await t.app.db.instance.count();
    const post = await t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    assert.equal(post.status, 503);
    assert.equal(post.headers.get('retry-after'), '5');
    const error = (await json(post)).error;
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /job queue \(Redis\) is not reachable/);
    assert.equal(await t.app.db.instance.count(), before, 'nothing written for a command that could not be sent');

    // Postgres-only calls still work; a delete is recorded and sent once Redis is back.
    assert.equal((await t.request('GET', `/api/v1/sessions/${session.id}`)).status, 200);
    assert.equal((await t.request('DELETE', `/api/v1/sessions/${session.id}/instances/${one.id}`)).status, 204);
    await t.app.reaper.runOnce(); // must not throw or mark nodes down

    await redis.start();
    await eventually(async () => (await t.request('GET', '/api/v1/health')).status === 200, { timeoutMs: 10_000, description: 'health to answer 200 again' });
    const again = await t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    assert.equal(again.status, 201, JSON.stringify(await json(again.clone())));
    await eventually(async () => {
      await t.app.reaper.runOnce();
      return (await t.app.db.instance.findUniqueOrThrow({ where: { id: one.id } })).status === 'deleted';
    }, { timeoutMs: 10_000, description: 'the instance to be deleted by the reaper' });
    assert.equal((await t.app.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status, 'ready');
  });
});

describe('Postgres stops and starts under a running orchestrator', () => {
  let postgres: PrivateService;
  let t: TestOrchestrator;

  before(async () => {
    postgres = await startPrivatePostgres();
    t = await startTestOrchestrator('outage-pg', { DATABASE_URL: postgres.url, INSTANCE_CREATE_TIMEOUT_MS: '10000' });
    answerCreates(t, await t.addNode(10));
  });
  after(async () => {
    await t?.close();
    await postgres?.close();
  });

  it('health 503 and API 503 unavailable while down; recovers in the same process', async () => {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions'));
    assert.equal((await t.request('POST', `/api/v1/sessions/${session.id}/instances`)).status, 201);

    await postgres.stop();
    const health = await t.request('GET', '/api/v1/health');
    assert.equal(health.status, 503);
    const body = await json(health);
    assert.equal(body.postgres.ok, false);
    assert.equal(body.redis.ok, true);

    const admin = { authorization: `Bearer ${t.adminToken}` };
    for (const [method, path, headers] of [
      ['GET', `/api/v1/sessions/${session.id}`, {}],
      ['POST', '/api/v1/sessions', {}],
      ['POST', `/api/v1/sessions/${session.id}/instances`, {}],
      ['DELETE', `/api/v1/sessions/${session.id}`, {}],
      ['GET', '/api/v1/nodes', admin],
    ] as const) {
      const response = await t.request(method, path, { headers });
      const error = (await json(response)).error;
      assert.equal(response.status, 503, `${method} ${path}: ${JSON.stringify(error)}`);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /database is not reachable/);
      assert.equal(response.headers.get('retry-after'), '5');
    }
    await t.app.reaper.runOnce(); // logs, never throws

    await postgres.start();
    await eventually(async () => (await t.request('GET', '/api/v1/health')).status === 200, { timeoutMs: 10_000, description: 'health to answer 200 again' });
    assert.equal((await t.request('GET', `/api/v1/sessions/${session.id}`)).status, 200);
    assert.equal((await t.request('POST', `/api/v1/sessions/${session.id}/instances`)).status, 201);
    assert.equal((await t.request('POST', '/api/v1/sessions')).status, 201);
  });
});
