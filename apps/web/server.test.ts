import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Server as SocketIoServer } from 'socket.io';
import { io as connectSocketIo } from 'socket.io-client';
import { PORT_TUNNEL_PREFIX } from '@playground/contracts';

// Seam test of the edge server: the real server.ts (production mode, serving the real Next
// build) in front of a small HTTP + WebSocket stand-in for the orchestrator on loopback.
// The stand-in answers every request with what it saw, so each routing rule is observable.

const WEB_DIR = import.meta.dirname;
const INSTANCE = 'abcdefghijklmnopqrstuvwxyz'; // 26 base32 characters, as instance ids are
const PORT_HOST = `${INSTANCE}-8080.localhost`;

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  xff: string | undefined;
  xfProto: string | undefined;
  xfHost: string | undefined;
}

/** The orchestrator stand-in: echoes requests as JSON, accepts upgrades and echoes bytes. */
async function startStandIn(): Promise<{ server: Server; url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const record = (req: { method?: string; url?: string; headers: IncomingHttpHeaders }): Seen => {
    const entry: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host,
      xff: req.headers['x-forwarded-for'] as string | undefined,
      xfProto: req.headers['x-forwarded-proto'] as string | undefined,
      xfHost: req.headers['x-forwarded-host'] as string | undefined,
    };
    seen.push(entry);
    return entry;
  };
  // Socket.IO's engine is driven by hand so that, as in the orchestrator, only non-port
  // hosts reach it: a learner's app on a port host may use /socket.io/ too.
  const ioServer = new SocketIoServer({ transports: ['websocket'] });
  ioServer.attach(createServer());
  ioServer.of('/terminal').on('connection', (socket) => {
    socket.emit('output', `hello ${socket.handshake.auth.instanceId}`);
    socket.on('input', (data: string) => socket.emit('output', `echo:${data}`));
  });
  const isEngine = (req: IncomingMessage) => req.url?.startsWith('/socket.io/') && !req.headers.host?.includes(INSTANCE);

  const server = createServer((req, res) => {
    if (isEngine(req)) {
      ioServer.engine.handleRequest(req as never, res);
      return;
    }
    const entry = record(req);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ standIn: true, ...entry }));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (isEngine(req)) {
      ioServer.engine.handleUpgrade(req as never, socket, head);
      return;
    }
    // Raw WebSocket handshake without framing: enough to prove the upgrade and bytes pass.
    const entry = record(req);
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nX-Seen-Host: ${entry.host}\r\n\r\n`,
    );
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      ioServer.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the real edge (server.ts) and waits for its `edge.listening` log line. */
async function startEdge(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: WEB_DIR,
    // Only what the server needs: no inherited NODE_ENV or ports from the test's shell.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NEXT_TELEMETRY_DISABLED: '1', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edge server did not start in 30 s:\n${output}`)), 30_000);
    const check = () => {
      if (output.includes('"msg":"edge.listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edge server exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function httpRequest(port: number, options: { path: string; host?: string; method?: string; headers?: Record<string, string> }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `localhost:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer for ${options.path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sends a WebSocket upgrade; resolves with the 101 socket or the refusing response. */
function upgradeRequest(port: number, host: string, path: string): Promise<{ socket: Socket; headers: IncomingHttpHeaders } | Reply> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer for upgrade ${path}`)));
    req.on('upgrade', (res, socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('edge server (server.ts) routing', { timeout: 120_000 }, () => {
  let standIn: Awaited<ReturnType<typeof startStandIn>>;
  let edge: Awaited<ReturnType<typeof startEdge>>;
  let port = 0;

  before(async () => {
    if (!existsSync(path.join(WEB_DIR, '.next', 'BUILD_ID'))) {
      throw new Error('apps/web has no production build: run `cd apps/web && npx next build` first');
    }
    standIn = await startStandIn();
    port = await freePort();
    edge = await startEdge({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      ORCHESTRATOR_URL: standIn.url,
      PORTS_DOMAIN: 'localhost',
      LOG_LEVEL: 'info',
    });
  });

  after(async () => {
    if (edge?.child.exitCode === null) {
      const exited = new Promise((resolve) => edge.child.once('exit', resolve));
      edge.child.kill('SIGTERM');
      await exited;
    }
    await standIn?.close().catch(() => undefined);
  });

  it('sends API paths to the orchestrator with X-Forwarded-* set and spoofed ones dropped', async () => {
    const reply = await httpRequest(port, {
      path: '/api/v1/sessions?x=1',
      method: 'POST',
      headers: { 'x-forwarded-for': '6.6.6.6', 'content-type': 'application/json' },
    });
    assert.equal(reply.status, 200);
    const seen = JSON.parse(reply.body) as Seen & { standIn: boolean };
    assert.equal(seen.standIn, true);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/api/v1/sessions?x=1');
    assert.equal(seen.host, `localhost:${port}`, 'Host is passed unchanged');
    assert.equal(seen.xff, '127.0.0.1', 'the client cannot spoof its address');
    assert.equal(seen.xfProto, 'http');
    assert.equal(seen.xfHost, `localhost:${port}`);
  });

  it("sends the path form of port URLs to the orchestrator's port tunnel, decided", async () => {
    const reply = await httpRequest(port, { path: `/ports/${INSTANCE}/8080/index.html` });
    assert.equal(JSON.parse(reply.body).url, `${PORT_TUNNEL_PREFIX}path/${INSTANCE}/8080/index.html`);
  });

  it("sends every path of a port host to the orchestrator's port tunnel with the Host preserved", async () => {
    for (const p of ['/', '/api/v1/sessions', '/socket.io/?EIO=4&transport=polling', '/_next/static/x.js', '/p/abc']) {
      const reply = await httpRequest(port, { path: p, host: `${PORT_HOST}:${port}` });
      assert.equal(reply.status, 200, p);
      const seen = JSON.parse(reply.body) as Seen;
      assert.equal(seen.url, `${PORT_TUNNEL_PREFIX}host/${INSTANCE}/8080${p}`);
      assert.equal(seen.host, `${PORT_HOST}:${port}`, `Host kept for ${p}`);
      assert.equal(seen.xfHost, `${PORT_HOST}:${port}`);
    }
  });

  it('passes WebSocket upgrades on a port host through, both ways', async () => {
    const result = await upgradeRequest(port, `${PORT_HOST}:${port}`, '/ws?x=1');
    assert.ok('socket' in result, `expected a 101, got ${'status' in result ? result.status : '?'}`);
    assert.equal(result.headers['x-seen-host'], `${PORT_HOST}:${port}`);
    const echoed = new Promise<string>((resolve) => result.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    result.socket.write('ping-through-edge');
    assert.equal(await echoed, 'ping-through-edge');
    result.socket.destroy();
  });

  it('carries the terminal Socket.IO namespace (websocket transport) to the orchestrator', async () => {
    const socket = connectSocketIo(`http://127.0.0.1:${port}/terminal`, {
      transports: ['websocket'],
      auth: { sessionId: 's', instanceId: 'i-test' },
      reconnection: false,
    });
    try {
      const outputs: string[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.on('connect_error', reject);
        socket.on('output', (data: string) => {
          outputs.push(data);
          if (outputs.length === 1) socket.emit('input', 'ls\r');
          if (outputs.length === 2) resolve();
        });
      });
      assert.deepEqual(outputs, ['hello i-test', 'echo:ls\r']);
    } finally {
      socket.disconnect();
    }
  });

  it('serves pages from Next, not the orchestrator', async () => {
    const before = standIn.seen.length;
    const landing = await httpRequest(port, { path: '/' });
    assert.equal(landing.status, 200);
    assert.match(landing.headers['content-type'] ?? '', /text\/html/);
    assert.match(landing.body, /data-testid="start-session"/);
    assert.equal(landing.headers['x-powered-by'], undefined);
    const missing = await httpRequest(port, { path: '/no/such/page' });
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.body, /at .*\.js:\d+/, 'no stack trace');
    const session = await httpRequest(port, { path: '/p/abcdefghijklmnopqrstuvwxyz234567' });
    assert.equal(session.status, 200);
    assert.equal(standIn.seen.length, before, 'the orchestrator saw none of these');
    // Upgrades on page paths are not Next's business in production: refused, not forwarded.
    const upgrade = await upgradeRequest(port, `localhost:${port}`, '/p/abc');
    assert.ok('status' in upgrade && upgrade.status === 404);
    assert.equal(standIn.seen.length, before);
  });

  it('answers 503 (JSON for the API, a page otherwise) when the orchestrator is down, and keeps serving pages', async () => {
    await standIn.close();
    const api = await httpRequest(port, { path: '/api/v1/sessions', method: 'POST' });
    assert.equal(api.status, 503);
    assert.match(api.headers['content-type'] ?? '', /application\/json/);
    const body = JSON.parse(api.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unavailable');
    assert.ok(body.error.message.length > 0);

    const portPage = await httpRequest(port, { path: '/', host: PORT_HOST });
    assert.equal(portPage.status, 503);
    assert.match(portPage.headers['content-type'] ?? '', /text\/html/);

    const ws = await upgradeRequest(port, PORT_HOST, '/ws');
    assert.ok('status' in ws && ws.status === 503, 'a refused upgrade gets a 503, not a hang');

    const landing = await httpRequest(port, { path: '/' });
    assert.equal(landing.status, 200);
    assert.equal(edge.child.exitCode, null, 'the edge is still running');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => edge.child.once('exit', (code) => resolve(code)));
    edge.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(edge.output(), /"msg":"edge.stopped"/);
  });
});
