import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HealthView } from '@playground/contracts';
import { buildOrchestrator } from './app.ts';
import { createLogger } from './logger.ts';
import { linkAgent } from '../test/agent-client.ts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';
import { eventually } from '../../../test/support/eventually.ts';

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
    assert.equal(response.status, 200, await response.clone().text());
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

  it("says per node whether its agent is linked, to this replica or another, and only while that replica runs", async () => {
    // A fresh heartbeat, no link yet: what a user sees in the seconds after an agent starts.
    const nodeId = await healthy.addNode();
    const second = await buildOrchestrator(healthy.app.config, createLogger('silent'), { queuePrefix: healthy.prefix, startReaper: false });
    let secondClosed = false;
    try {
      const secondUrl = `http://127.0.0.1:${(await second.listen()).port}`;
      const nodeOn = async (url: string) => {
        const response = await fetch(`${url}/api/v1/health`);
        assert.equal(response.status, 200);
        const node = HealthView.parse(await response.json()).nodes.find((candidate) => candidate.id === nodeId);
        assert.ok(node, `health on ${url} lists node ${nodeId}`);
        return { status: node.status, linked: node.linked };
      };
      const linkedOn = (url: string, linked: boolean, description: string) =>
        eventually(async () => (await nodeOn(url)).linked === linked, { timeoutMs: 5_000, description });

      assert.deepEqual(await nodeOn(healthy.baseUrl), { status: 'ready', linked: false });
      assert.deepEqual(await nodeOn(secondUrl), { status: 'ready', linked: false });

      // Linked to the second replica: the first sees it too (the link registry is in Redis).
      const agent = await linkAgent(secondUrl, nodeId, healthy.agentToken(nodeId));
      await linkedOn(healthy.baseUrl, true, 'the first replica to see the link held by the second');
      assert.deepEqual(await nodeOn(secondUrl), { status: 'ready', linked: true });

      // The replica holding it stops. A deliberate shutdown records no drop (it is not the
      // node's fault), so Redis still names that replica: the node must not read linked.
      await second.close();
      secondClosed = true;
      await linkedOn(healthy.baseUrl, false, 'the link of a stopped replica to stop counting');

      // The agent links again, here this time; and its link dropping is seen at once.
      const again = await linkAgent(healthy.baseUrl, nodeId, healthy.agentToken(nodeId));
      await linkedOn(healthy.baseUrl, true, 'the new link to count');
      again.close();
      await linkedOn(healthy.baseUrl, false, 'the dropped link to stop counting');
      assert.deepEqual(await nodeOn(healthy.baseUrl), { status: 'ready', linked: false });
    } finally {
      if (!secondClosed) await second.close();
    }
  });
});
