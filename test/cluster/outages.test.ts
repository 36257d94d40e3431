import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionView } from '@playground/contracts';
import { createInstance, createSession, type ApiError } from '../support/cluster.ts';
import { echoThroughTerminal } from '../support/terminal.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// Redis or Postgres goes away for a few seconds (a restart, a failover). The playground says
// so (health 503, API 503 `unavailable`, quickly), and recovers by itself when the service
// returns: no process is restarted, and new instances can be created afterwards.

interface Health {
  ok: boolean;
  postgres: { ok: boolean };
  redis: { ok: boolean };
}

describe('Redis and Postgres outages', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let session: SessionView;
  let pids: Array<number | undefined>;
  before(async () => {
    stack = await startTestStack('cluster-outages', { nodes: 2, privatePostgres: true });
    session = await createSession(stack);
    await createInstance(stack, session.id);
    pids = [...stack.processes.values()].map((running) => running.child.pid);
  });
  after(async () => stack?.teardown());

  const health = () => stack.api<Health>('GET', '/api/v1/health');
  const samePids = () =>
    assert.deepEqual([...stack.processes.values()].map((running) => running.child.pid), pids, 'no process was restarted');

  it('Redis down: health and instance creation answer 503 at once; all recovers when it returns', async () => {
    await stack.redis.stop();
    const down = await eventually(async () => {
      const answer = await health();
      return answer.status === 503 && answer;
    }, { timeoutMs: 5_000, description: 'health to answer 503' });
    assert.equal(down.body.redis.ok, false);
    assert.equal(down.body.postgres.ok, true);

    const refused = await stack.api<ApiError>('POST', `/api/v1/sessions/${session.id}/instances`, {});
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'unavailable');
    assert.match(refused.body.error.message, /Redis/);

    await stack.redis.start();
    await eventually(async () => (await health()).status === 200, { timeoutMs: 15_000, description: 'health 200 again' });
    const instance = await createInstance(stack, session.id);
    await echoThroughTerminal(stack, session.id, instance.id);
    samePids();
  });

  it('Postgres down: health and the API answer 503 at once; all recovers when it returns', async () => {
    await stack.postgres!.stop();
    const down = await eventually(async () => {
      const answer = await health();
      return answer.status === 503 && answer;
    }, { timeoutMs: 5_000, description: 'health to answer 503' });
    assert.equal(down.body.postgres.ok, false);

    const refused = await stack.api<ApiError>('GET', `/api/v1/sessions/${session.id}`);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'unavailable');

    await stack.postgres!.start();
    await eventually(async () => (await health()).status === 200, { timeoutMs: 15_000, description: 'health 200 again' });
    const again = await createSession(stack);
    const instance = await createInstance(stack, again.id);
    await echoThroughTerminal(stack, again.id, instance.id);
    samePids();

    for (const id of [session.id, again.id]) assert.equal((await stack.api('DELETE', `/api/v1/sessions/${id}`)).status, 204);
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
