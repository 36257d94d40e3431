import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { json, startTestOrchestrator, type TestOrchestrator } from '../apps/orchestrator/test/harness.ts';
import { createEdgeServer, type EdgeServer } from '../apps/web/src/edge/edge-server.ts';
import { createOrchestratorProxy } from '../apps/web/src/edge/orchestrator-proxy.ts';

// The whole chain a client address travels: browser → web edge (TRUST_PROXY off or on) →
// orchestrator (trusts loopback and TRUSTED_PROXY only). A spoofed X-Forwarded-For must never
// buy a client a fresh session quota, at either setting of the edge.

async function startEdge(orchestratorUrl: string, trustProxy: boolean): Promise<{ edge: EdgeServer; url: string }> {
  const logger = pino({ level: 'silent' });
  const edge = createEdgeServer({
    portHostDomains: ['localhost'],
    orchestrator: createOrchestratorProxy({ targets: [orchestratorUrl], trustProxy, logger }),
    pages: { handle: async (_req, res) => void res.end('page') },
    logger,
  });
  await new Promise<void>((resolve) => edge.server.listen(0, '127.0.0.1', resolve));
  return { edge, url: `http://127.0.0.1:${(edge.server.address() as AddressInfo).port}` };
}

describe('client address through the web edge', () => {
  let t: TestOrchestrator;
  const edges: EdgeServer[] = [];

  before(async () => {
    t = await startTestOrchestrator('address-chain', { RATE_LIMIT_SESSIONS_PER_MINUTE: '2', MAX_SESSIONS_PER_CLIENT: '100' });
    await t.addNode(100);
  });
  after(async () => {
    for (const edge of edges) await edge.close(100);
    await t?.close();
  });

  const create = (base: string, xff: string) =>
    fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { 'x-forwarded-for': xff } });

  it('TRUST_PROXY off: the edge drops client-sent X-Forwarded-For; rotating it does not escape the limit', async () => {
    const { edge, url } = await startEdge(t.baseUrl, false);
    edges.push(edge);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await create(url, `203.0.113.${i + 1}`)).status);
    assert.deepEqual(statuses, [201, 201, 429, 429]);
    // Every session counts against the peer the edge saw (this test, on loopback), none against a spoofed address.
    assert.equal(await t.app.db.session.count({ where: { clientKey: { startsWith: '203.0.113.' } } }), 0);
    assert.equal(await t.app.db.session.count({ where: { clientKey: '127.0.0.1' } }), 2);
  });

  it('TRUST_PROXY on (a load balancer in front): the address the balancer appended counts, a spoofed prefix does not', async () => {
    const { edge, url } = await startEdge(t.baseUrl, true);
    edges.push(edge);
    // The balancer appends the real client (198.51.100.9) to whatever the client sent.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await create(url, `6.6.6.${i}, 198.51.100.9`)).status);
    assert.deepEqual(statuses, [201, 201, 429]);
    const refused = await json(await create(url, '198.51.100.9'));
    assert.equal(refused.error.code, 'rate_limited');
    assert.equal(await t.app.db.session.count({ where: { clientKey: '198.51.100.9' } }), 2);
    assert.equal(await t.app.db.session.count({ where: { clientKey: { startsWith: '6.6.6.' } } }), 0);
  });
});
