import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, newInstanceId } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';

// Probes of the creation limits through the real API, Postgres and Redis: cross-site session
// creation, per-client and per-origin rate limits, and requests from inside an instance
// counting against the client that owns its session. A BullMQ worker stands in for the agent.

const OWN = 'http://localhost:8080';
const EMBED = 'https://docs.example.com';

describe('creation limits: origin, rate, client identity', () => {
  let t: TestOrchestrator;
  let nodeId: string;

  before(async () => {
    t = await startTestOrchestrator('abuse', {
      PUBLIC_URL: OWN,
      ALLOWED_ORIGINS: `${EMBED}, https://labs.example.org`,
      RATE_LIMIT_SESSIONS_PER_MINUTE: '3',
      RATE_LIMIT_SESSIONS_PER_ORIGIN_PER_MINUTE: '4',
      RATE_LIMIT_INSTANCES_PER_MINUTE: '2',
      MAX_SESSIONS_PER_CLIENT: '100',
      MAX_INSTANCES_PER_SESSION: '5',
    });
    nodeId = await t.addNode(100);
    let ip = 10;
    t.worker(nodeId, async (job) =>
      job.name === JOB.createInstance ? { instanceId: job.data.instanceId, containerId: 'c', ip: `10.77.0.${ip++}` } : { ok: true },
    );
  });
  after(async () => t?.close());

  const createSession = (client: string, origin?: string) =>
    t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': client, ...(origin ? { origin } : {}) } });

  it('refuses a session from a foreign origin with 403 origin_not_allowed, and creates nothing', async () => {
    const before = await t.app.db.session.count();
    for (const origin of ['https://evil.example.net', 'null', 'http://localhost:8081']) {
      const response = await createSession('198.51.100.1', origin);
      assert.equal(response.status, 403, origin);
      const body = await json(response);
      assert.equal(body.error.code, 'origin_not_allowed');
      assert.match(body.error.message, new RegExp(`cannot be started from ${origin.replace(/[.]/g, '\\.')}`));
    }
    assert.equal(await t.app.db.session.count(), before);
  });

  it('allows its own origin, a listed origin, and requests without Origin (curl)', async () => {
    for (const [client, origin] of [['198.51.100.2', OWN], ['198.51.100.3', EMBED], ['198.51.100.4', undefined]] as const) {
      const response = await createSession(client, origin);
      assert.equal(response.status, 201, `${origin ?? '(no origin)'}: ${JSON.stringify(await json(response))}`);
    }
  });

  it('limits new sessions per client: the 4th in a minute → 429 rate_limited with Retry-After naming the limit', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await createSession('198.51.100.10')).status, 201);
    const refused = await createSession('198.51.100.10');
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const body = await json(refused);
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /Too many new sessions from your address: the limit is 3 per minute/);
    // A spoofed, rotating X-Forwarded-For prefix does not buy a new quota: the last untrusted hop counts.
    const spoofed = await createSession(`203.0.113.${Math.floor(Math.random() * 200)}, 198.51.100.10`);
    assert.equal(spoofed.status, 429);
    // Another client is not affected.
    assert.equal((await createSession('198.51.100.11')).status, 201);
  });

  it('limits new sessions per embedding origin across its visitors', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await createSession(`198.51.100.${30 + i}`, 'https://labs.example.org')).status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 429]);
    const body = await json(await createSession('198.51.100.40', 'https://labs.example.org'));
    assert.match(body.error.message, /from the site embedding this playground: the limit is 4 per minute/);
    // The playground's own page is not an embed: its visitors are limited only per client.
    assert.equal((await createSession('198.51.100.41', OWN)).status, 201);
  });

  it('limits new instances per client → 429 rate_limited', async () => {
    const session = await json(await createSession('198.51.100.50'));
    const create = () =>
      t.request('POST', `/api/v1/sessions/${session.id}/instances`, { headers: { 'x-forwarded-for': '198.51.100.50' } });
    assert.equal((await create()).status, 201);
    assert.equal((await create()).status, 201);
    const refused = await create();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match((await json(refused)).error.message, /Too many new instances from your address: the limit is 2 per minute/);
  });

  it('a request from inside an instance counts against its session’s client, not as a new client', async () => {
    const owner = '198.51.100.60';
    const session = await json(await createSession(owner));
    const instanceIp = '10.88.0.7';
    await t.app.db.instance.create({
      data: { id: newInstanceId(), sessionId: session.id, nodeId, hostname: 'node1', status: 'running', ip: instanceIp },
    });
    // The owner used 1 of 3; the instance (its address arriving as the client address) uses the rest.
    assert.equal((await createSession(instanceIp)).status, 201);
    assert.equal((await createSession(instanceIp)).status, 201);
    const refused = await createSession(instanceIp);
    assert.equal(refused.status, 429, 'the instance got a quota of its own');
    assert.equal((await createSession(owner)).status, 429, 'the owner shares the spent quota');
    assert.equal(await t.app.db.session.count({ where: { clientKey: instanceIp } }), 0);
    assert.equal(await t.app.db.session.count({ where: { clientKey: owner, status: 'active' } }), 3);
  });

  it('an address that was an instance’s but is no longer running is an ordinary client again', async () => {
    const session = await json(await createSession('198.51.100.70'));
    await t.app.db.instance.create({
      data: { id: newInstanceId(), sessionId: session.id, nodeId, hostname: 'node1', status: 'deleted', ip: '10.88.0.9' },
    });
    assert.equal((await createSession('10.88.0.9')).status, 201);
    assert.equal(await t.app.db.session.count({ where: { clientKey: '10.88.0.9' } }), 1);
  });
});
