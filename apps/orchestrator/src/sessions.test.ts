import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';

// Session creation under concurrency, against real Postgres: many parallel POST /sessions
// from one client address (a workshop behind one NAT, the benchmark) must neither deadlock
// on the connection pool nor slip past the per-client limit.

const PARALLEL = 20;

async function burst(t: TestOrchestrator, client: string): Promise<{ statuses: number[]; codes: string[] }> {
  const responses = await Promise.all(
    Array.from({ length: PARALLEL }, () => t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': client } })),
  );
  const bodies = await Promise.all(responses.map((response) => json(response)));
  return {
    statuses: responses.map((response) => response.status),
    codes: bodies.map((body) => body?.error?.code ?? 'ok'),
  };
}

describe('sessions: concurrent creation from one client', () => {
  let t: TestOrchestrator;

  before(async () => {
    t = await startTestOrchestrator('sessions', { MAX_SESSIONS_PER_CLIENT: '1000' });
    await t.addNode(1_000);
  });
  after(async () => t?.close());

  it(`${PARALLEL} parallel creations all succeed (201)`, async () => {
    const { statuses, codes } = await burst(t, '198.51.100.10');
    assert.deepEqual(
      statuses.filter((status) => status !== 201),
      [],
      `every request should be 201; got ${JSON.stringify(codes.filter((code) => code !== 'ok'))}`,
    );
    assert.equal(await t.app.db.session.count({ where: { clientKey: '198.51.100.10', status: 'active' } }), PARALLEL);
  });
});

describe('sessions: the per-client limit under concurrency', () => {
  let t: TestOrchestrator;

  before(async () => {
    t = await startTestOrchestrator('session-limit', { MAX_SESSIONS_PER_CLIENT: '5' });
    await t.addNode(1_000);
  });
  after(async () => t?.close());

  it(`${PARALLEL} parallel creations with a limit of 5 → exactly 5 × 201 and ${PARALLEL - 5} × 429 session_limit`, async () => {
    const { statuses, codes } = await burst(t, '198.51.100.20');
    assert.equal(statuses.filter((status) => status === 201).length, 5, `statuses ${JSON.stringify(statuses)}`);
    assert.equal(statuses.filter((status) => status === 429).length, PARALLEL - 5, `codes ${JSON.stringify(codes)}`);
    assert.equal(codes.filter((code) => code === 'session_limit').length, PARALLEL - 5);
    assert.equal(await t.app.db.session.count({ where: { clientKey: '198.51.100.20', status: 'active' } }), 5);
    // Another client is not held up by this one's limit.
    assert.equal((await t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': '198.51.100.21' } })).status, 201);
  });
});
