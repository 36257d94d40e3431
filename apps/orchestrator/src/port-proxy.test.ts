import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newInstanceId, newSessionId } from '@playground/contracts';
import { Server as SocketIoServer } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from './test-harness.ts';

// A real local HTTP + Socket.IO (WebSocket) server stands in for an app inside an
// instance; the Instance row's ip is 127.0.0.1, which the proxy reaches directly.

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('port proxy', () => {
  let t: TestOrchestrator;
  let app: Server;
  let appIo: SocketIoServer;
  let appPort: number;
  let closedPort: number;
  const instanceId = newInstanceId();
  const stoppedId = newInstanceId();

  before(async () => {
    t = await startTestOrchestrator('ports', { PUBLIC_URL: 'http://localhost:8080' });
    app = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ app: true, url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'] ?? null }));
    });
    // The learner's app uses Socket.IO itself: its /socket.io/ must reach it, not us.
    appIo = new SocketIoServer(app);
    appIo.on('connection', (socket) => socket.on('ping-app', (ack: (answer: string) => void) => ack('pong from the app')));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appPort = (app.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const nodeId = await t.addNode();
    const sessionId = newSessionId();
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'test', nodeId, expiresAt: new Date(Date.now() + 3600_000) } });
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '127.0.0.1' } });
    await t.app.db.instance.create({ data: { id: stoppedId, sessionId, nodeId, hostname: 'node2', status: 'failed', ip: '127.0.0.1' } });
  });
  after(async () => {
    await new Promise((resolve) => appIo.close(resolve));
    await t?.close();
  });

  it('host form reaches the app with the path and the original Host', async () => {
    const host = `${instanceId}-${appPort}.localhost:8080`;
    const reply = await get(t.port, '/hello?x=1', host);
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.body);
    assert.equal(body.app, true);
    assert.equal(body.url, '/hello?x=1');
    assert.equal(body.host, host);
    assert.ok(body.xff, 'X-Forwarded-For is set');
  });

  it('host form wins over our own routes: /api and /socket.io go to the app', async () => {
    const host = `${instanceId}-${appPort}.localhost`;
    const reply = await get(t.port, '/api/v1/health', host);
    assert.equal(JSON.parse(reply.body).app, true);
    const polling = await get(t.port, '/socket.io/?EIO=4&transport=polling', host);
    assert.equal(polling.status, 200);
    assert.match(polling.body, /"sid"/);
  });

  it('WebSocket upgrades pass through on the host form (Socket.IO of the app, websocket only)', async () => {
    const client = connectClient(`http://127.0.0.1:${t.port}`, {
      transports: ['websocket'],
      extraHeaders: { host: `${instanceId}-${appPort}.localhost` },
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.on('connect', resolve);
        client.on('connect_error', reject);
      });
      const answer = await client.timeout(3_000).emitWithAck('ping-app');
      assert.equal(answer, 'pong from the app');
    } finally {
      client.close();
    }
  });

  it('path form strips /ports/<id>/<port> and redirects the bare form to the slash form', async () => {
    const reply = await get(t.port, `/ports/${instanceId}/${appPort}/a/b?c=d`, 'localhost:8080');
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).url, '/a/b?c=d');
    const bare = await get(t.port, `/ports/${instanceId}/${appPort}?q=1`, 'localhost:8080');
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, `/ports/${instanceId}/${appPort}/?q=1`);
  });

  it('WebSocket upgrades pass through on the path form', async () => {
    const client = connectClient(`http://127.0.0.1:${t.port}`, {
      path: `/ports/${instanceId}/${appPort}/socket.io/`,
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.on('connect', resolve);
        client.on('connect_error', reject);
      });
      assert.equal(await client.timeout(3_000).emitWithAck('ping-app'), 'pong from the app');
    } finally {
      client.close();
    }
  });

  it('unknown or not running instances → 404 (HTML for browsers, JSON otherwise)', async () => {
    const json = await get(t.port, '/', `${newInstanceId()}-80.localhost`);
    assert.equal(json.status, 404);
    assert.equal(JSON.parse(json.body).error.code, 'not_found');
    const html = await get(t.port, '/', `${stoppedId}-80.localhost`, { accept: 'text/html' });
    assert.equal(html.status, 404);
    assert.match(String(html.headers['content-type']), /text\/html/);
  });

  it('nothing listening on the port → 502 with a friendly message', async () => {
    const reply = await get(t.port, '/', `${instanceId}-${closedPort}.localhost`);
    assert.equal(reply.status, 502);
    assert.match(JSON.parse(reply.body).error.message, new RegExp(`Nothing is answering on port ${closedPort} of node1`));
  });

  it('other hosts still reach the API', async () => {
    const reply = await get(t.port, '/api/v1/health', 'localhost:8080');
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).ok, true);
  });
});
