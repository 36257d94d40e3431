import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createOrchestratorProxy, type OrchestratorProxy } from './orchestrator-proxy.ts';

// The edge in front of two orchestrator replicas (HTTP servers that name themselves): requests
// are spread over both; once one is gone, every GET is answered by the other (the one that hit
// the dead replica is retried there); a POST that could not reach a replica is answered 503,
// not sent to another.

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function replica(name: string): Server {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.setHeader('x-replica', name).end(`${req.method} by ${name}`));
  });
  return server;
}

describe('edge over two orchestrator replicas', () => {
  const a = replica('a');
  const b = replica('b');
  let proxy: OrchestratorProxy;
  let edge: Server;
  let edgeUrl: string;

  before(async () => {
    proxy = createOrchestratorProxy({ targets: [await listen(a), await listen(b)], trustProxy: false, logger: pino({ level: 'silent' }) });
    edge = createServer((req, res) => proxy.web(req, res));
    edgeUrl = await listen(edge);
  });
  after(async () => {
    proxy.close();
    edge.closeAllConnections();
    await new Promise((resolve) => edge.close(resolve));
    b.closeAllConnections();
    await new Promise((resolve) => b.close(resolve));
  });

  async function served(method = 'GET'): Promise<{ status: number; by: string | null }> {
    const response = await fetch(`${edgeUrl}/api/v1/health`, { method, body: method === 'POST' ? '{}' : undefined, signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return { status: response.status, by: response.headers.get('x-replica') };
  }

  it('spreads requests over both replicas', async () => {
    const seen = new Set<string | null>();
    for (let i = 0; i < 6; i++) seen.add((await served()).by);
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  it('sends every GET to the live replica once the other is gone', async () => {
    a.closeAllConnections();
    await new Promise((resolve) => a.close(resolve));
    for (let i = 0; i < 6; i++) assert.deepEqual(await served(), { status: 200, by: 'b' }, `request ${i}`);
  });

  it('does not send a POST that could not reach a replica to another one (it may have changed something)', async () => {
    let posts = 0;
    const live = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts += 1;
        res.end('ok');
      });
    });
    const dead = createServer();
    const deadUrl = await listen(dead);
    await new Promise((resolve) => dead.close(resolve));
    const fresh = createOrchestratorProxy({ targets: [deadUrl, await listen(live)], trustProxy: false, logger: pino({ level: 'silent' }) });
    const front = createServer((req, res) => fresh.web(req, res));
    const frontUrl = await listen(front);
    try {
      // Round-robin: of two POSTs, one goes to each replica before any probe has run.
      const statuses = [];
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${frontUrl}/api/v1/sessions`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
        const body = await response.text();
        statuses.push(response.status);
        if (response.status === 503) assert.equal(JSON.parse(body).error.code, 'unavailable');
      }
      assert.deepEqual(statuses.sort(), [200, 503]);
      assert.equal(posts, 1, 'the live replica got only its own POST');
    } finally {
      fresh.close();
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
      live.closeAllConnections();
      await new Promise((resolve) => live.close(resolve));
    }
  });
});
