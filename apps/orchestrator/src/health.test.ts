import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('GET /api/v1/health', () => {
  let healthy: TestOrchestrator;
  let noRedis: TestOrchestrator;

  before(async () => {
    healthy = await startTestOrchestrator('health-ok');
    // A second orchestrator whose Redis is a closed port.
    noRedis = await startTestOrchestrator('health-noredis', { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
  });
  after(async () => {
    await healthy?.close();
    await noRedis?.close();
  });

  it('200 when Postgres and Redis answer', async () => {
    const response = await healthy.request('GET', '/api/v1/health');
    assert.equal(response.status, 200);
    assert.equal((await json(response)).ok, true);
  });

  it('503 with the same body when Redis is unreachable', async () => {
    const response = await noRedis.request('GET', '/api/v1/health');
    assert.equal(response.status, 503);
    const body = await json(response);
    assert.equal(body.ok, false);
    assert.equal(body.postgres.ok, true);
    assert.equal(body.redis.ok, false);
    assert.equal(typeof body.redis.message, 'string');
    assert.deepEqual(body.nodes, []);
  });
});
