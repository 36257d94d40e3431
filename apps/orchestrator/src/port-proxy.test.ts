import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newInstanceId, newSessionId } from '@playground/contracts';
import { Server as SocketIoServer } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';
import { asEdgeSends, standInAgentLink } from '../test/port-tunnel.ts';

// A real local HTTP + Socket.IO (WebSocket) server stands in for an app inside an
// instance, reached over a node agent link whose streams connect to loopback
// (test/port-tunnel.ts); requests come as the web edge sends them, to the port tunnel.

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Status and headers of a raw WebSocket handshake through the proxy. */
function upgrade(port: number, host: string, path: string): Promise<Omit<Reply, 'body'>> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: asEdgeSends(host, path),
      headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

function get(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: asEdgeSends(host, path), headers: { host, ...headers } }, (res) => {
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
  let agentLink: Awaited<ReturnType<typeof standInAgentLink>>;
  const instanceId = newInstanceId();
  const stoppedId = newInstanceId();

  before(async () => {
    t = await startTestOrchestrator('ports', { PUBLIC_URL: 'http://localhost:8080' });
    app = createServer((req, res) => {
      // A POST is echoed back as it streams in: a request body and a streamed answer.
      if (req.method === 'POST') return void req.pipe(res);
      res.setHeader('content-type', 'application/json');
      // What a hostile learner server would send to take over the app's origin.
      res.setHeader('set-cookie', ['learner=1; Path=/', 'wide=1; Path=/; Domain=localhost']);
      res.setHeader('service-worker-allowed', '/');
      res.setHeader('clear-site-data', '"cookies", "storage"');
      res.setHeader('content-security-policy', "img-src 'self'");
      res.end(
        JSON.stringify({
          app: true,
          url: req.url,
          host: req.headers.host,
          xff: req.headers['x-forwarded-for'] ?? null,
          cookie: req.headers.cookie ?? null,
        }),
      );
    });
    // The learner's app uses Socket.IO itself: its /socket.io/ must reach it, not us.
    appIo = new SocketIoServer(app);
    // Its WebSocket handshake answer tries to set a cookie too.
    appIo.engine.on('headers', (headers: Record<string, string>) => (headers['set-cookie'] = 'ws=1; Path=/'));
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
    // As the node agent reported: the app's port, a port whose server has since died, and
    // the inner engine's API port (listening, yet never proxied).
    const ports = [appPort, closedPort, 2375].sort((a, b) => a - b);
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '127.0.0.1', ports } });
    await t.app.db.instance.create({ data: { id: stoppedId, sessionId, nodeId, hostname: 'node2', status: 'failed', ip: '127.0.0.1', ports } });
    agentLink = await standInAgentLink(t, nodeId);
  });
  after(async () => {
    agentLink?.close();
    await new Promise((resolve) => appIo.close(resolve));
    await t?.close();
  });

  it('host form reaches the app with the path and the original Host', async () => {
    const host = `${instanceId}-${appPort}.ports.localhost:8080`;
    const reply = await get(t.port, '/hello?x=1', host);
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.body);
    assert.equal(body.app, true);
    assert.equal(body.url, '/hello?x=1');
    assert.equal(body.host, host);
    assert.ok(body.xff, 'X-Forwarded-For is set');
  });

  it('a request body of megabytes goes up and streams back unchanged, on both forms', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    for (const [host, path] of [
      [`${instanceId}-${appPort}.ports.localhost`, '/echo'],
      ['localhost:8080', `/ports/${instanceId}/${appPort}/echo`],
    ] as const) {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: t.port, method: 'POST', path: asEdgeSends(host, path), headers: { host } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.ok(reply.equals(body), `${host}${path}: ${reply.length} bytes came back, the same as sent`);
    }
  });

  it('host form wins over our own routes: /api and /socket.io go to the app', async () => {
    const host = `${instanceId}-${appPort}.ports.localhost`;
    const reply = await get(t.port, '/api/v1/health', host);
    assert.equal(JSON.parse(reply.body).app, true);
    const polling = await get(t.port, '/socket.io/?EIO=4&transport=polling', host);
    assert.equal(polling.status, 200);
    assert.match(polling.body, /"sid"/);
  });

  it('WebSocket upgrades pass through on the host form (Socket.IO of the app, websocket only)', async () => {
    const host = `${instanceId}-${appPort}.ports.localhost`;
    const client = connectClient(`http://127.0.0.1:${t.port}`, {
      path: asEdgeSends(host, '/socket.io/'),
      transports: ['websocket'],
      extraHeaders: { host },
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
      path: asEdgeSends('localhost:8080', `/ports/${instanceId}/${appPort}/socket.io/`),
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
    const json = await get(t.port, '/', `${newInstanceId()}-80.ports.localhost`);
    assert.equal(json.status, 404);
    assert.equal(JSON.parse(json.body).error.code, 'not_found');
    const html = await get(t.port, '/', `${stoppedId}-80.ports.localhost`, { accept: 'text/html' });
    assert.equal(html.status, 404);
    assert.match(String(html.headers['content-type']), /text\/html/);
  });

  it('a port the instance does not listen on → 404 naming the port, on both forms and for WebSockets', async () => {
    const unlisted = appPort === 65535 ? appPort - 1 : appPort + 1;
    const json = await get(t.port, '/', `${instanceId}-${unlisted}.ports.localhost`);
    assert.equal(json.status, 404);
    assert.equal(JSON.parse(json.body).error.code, 'port_not_listening');
    assert.match(JSON.parse(json.body).error.message, new RegExp(`Nothing listens on port ${unlisted} of node1`));
    const html = await get(t.port, `/ports/${instanceId}/${unlisted}/`, 'localhost:8080', { accept: 'text/html' });
    assert.equal(html.status, 404);
    assert.match(html.body, new RegExp(`Nothing listens on port ${unlisted}`));
    assert.equal((await upgrade(t.port, `${instanceId}-${unlisted}.ports.localhost`, '/')).status, 404);
  });

  it('the inner engine API ports 2375 and 2376 are refused even when reported listening', async () => {
    for (const port of [2375, 2376]) {
      const host = await get(t.port, '/version', `${instanceId}-${port}.ports.localhost`);
      assert.equal(host.status, 404);
      assert.equal(JSON.parse(host.body).error.code, 'port_forbidden');
      assert.match(JSON.parse(host.body).error.message, /Docker engine API of node1/);
      const path = await get(t.port, `/ports/${instanceId}/${port}/version`, 'localhost:8080');
      assert.equal(path.status, 404);
      assert.equal(JSON.parse(path.body).error.code, 'port_forbidden');
      assert.equal((await upgrade(t.port, `${instanceId}-${port}.ports.localhost`, '/')).status, 404);
    }
  });

  it('path form: sandboxed, no cookies either way, no service worker scope, no Clear-Site-Data', async () => {
    const reply = await get(t.port, `/ports/${instanceId}/${appPort}/`, 'localhost:8080', { cookie: 'app-session=secret' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['set-cookie'], undefined);
    assert.equal(reply.headers['service-worker-allowed'], undefined);
    assert.equal(reply.headers['clear-site-data'], undefined);
    const csp = String(reply.headers['content-security-policy']);
    assert.match(csp, /^sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads, img-src 'self'$/);
    assert.doesNotMatch(csp, /allow-same-origin/);
    assert.equal(JSON.parse(reply.body).cookie, null, "the app's cookies never reach the learner's server");
    // Our own pages on the path form (here a 404) are sandboxed too.
    const missing = await get(t.port, `/ports/${newInstanceId()}/80/`, 'localhost:8080');
    assert.match(String(missing.headers['content-security-policy']), /^sandbox /);
  });

  it('path form: a WebSocket handshake answer sets no cookie (the host form may)', async () => {
    const wsPath = '/socket.io/?EIO=4&transport=websocket';
    const path = await upgrade(t.port, 'localhost:8080', `/ports/${instanceId}/${appPort}${wsPath}`);
    assert.equal(path.status, 101);
    assert.equal(path.headers['set-cookie'], undefined);
    const host = await upgrade(t.port, `${instanceId}-${appPort}.ports.localhost`, wsPath);
    assert.equal(host.status, 101);
    assert.deepEqual(host.headers['set-cookie'], ['ws=1; Path=/']);
  });

  it('path form: a service worker script fetch is refused', async () => {
    const reply = await get(t.port, `/ports/${instanceId}/${appPort}/sw.js`, 'localhost:8080', { 'service-worker': 'script' });
    assert.equal(reply.status, 403);
    assert.equal(JSON.parse(reply.body).error.code, 'service_worker_refused');
  });

  it('host form is its own origin: the learner keeps its cookies and headers', async () => {
    const reply = await get(t.port, '/', `${instanceId}-${appPort}.ports.localhost`, { cookie: 'own=1' });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.headers['set-cookie'], ['learner=1; Path=/', 'wide=1; Path=/; Domain=localhost']);
    assert.equal(reply.headers['content-security-policy'], "img-src 'self'");
    assert.equal(JSON.parse(reply.body).cookie, 'own=1');
  });

  it('a listed port nothing answers on any more → 502 with a friendly message', async () => {
    const reply = await get(t.port, '/', `${instanceId}-${closedPort}.ports.localhost`);
    assert.equal(reply.status, 502);
    assert.match(JSON.parse(reply.body).error.message, new RegExp(`Nothing is answering on port ${closedPort} of node1`));
  });

  it("a node whose agent link is down → 503 that says so, at once", async () => {
    agentLink.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the orchestrator sees the disconnect
    const reply = await get(t.port, '/', `${instanceId}-${appPort}.ports.localhost`);
    assert.equal(reply.status, 503);
    assert.equal(JSON.parse(reply.body).error.code, 'unavailable');
    assert.match(JSON.parse(reply.body).error.message, /machine running node1 cannot be reached/);
  });

  it('other hosts still reach the API', async () => {
    const reply = await get(t.port, '/api/v1/health', 'localhost:8080');
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).ok, true);
  });
});
