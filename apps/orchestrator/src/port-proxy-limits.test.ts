import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newInstanceId, newSessionId } from '@playground/contracts';
import { startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';
import { asEdgeSends, standInAgentLink } from '../test/port-tunnel.ts';

// Probes of the port proxy's bounds: an instance's server that never answers, one that never
// accepts the connection, and a flood of connections to one instance. Real local servers on
// loopback stand in for apps inside instances, reached over a node agent link whose streams
// connect to loopback (test/port-tunnel.ts).

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, host: string, accept = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: asEdgeSends(host, '/'), headers: { host, accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('port proxy bounds', () => {
  let t: TestOrchestrator;
  let slow: Server;
  let slowPort: number;
  let silent: Server;
  let silentPort: number;
  let unaccepting: ChildProcess;
  let fillers: Socket[] = [];
  let agentLink: Awaited<ReturnType<typeof standInAgentLink>> | undefined;
  const instanceId = newInstanceId();
  const host = (port: number) => `${instanceId}-${port}.ports.localhost:8080`;

  before(async () => {
    t = await startTestOrchestrator('port-limits', {
      PUBLIC_URL: 'http://localhost:8080',
      PORT_PROXY_MAX_CONNECTIONS_PER_INSTANCE: '3',
      PORT_PROXY_CONNECT_TIMEOUT_MS: '700',
      PORT_PROXY_IDLE_TIMEOUT_MS: '600',
    });
    // Answers after 300 ms, holding its connection meanwhile.
    slow = createServer((_req, res) => void setTimeout(() => res.end('done'), 300));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    slowPort = (slow.address() as AddressInfo).port;
    silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;

    const nodeId = await t.addNode();
    const sessionId = newSessionId();
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'c', nodeId, expiresAt: new Date(Date.now() + 3600_000) } });
    // Only ports the instance reports as listening are proxied: list the test's servers.
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '127.0.0.1', ports: [slowPort, silentPort] } });
    agentLink = await standInAgentLink(t, nodeId);
  });
  after(async () => {
    agentLink?.close();
    for (const socket of fillers) socket.destroy();
    unaccepting?.kill();
    slow?.close();
    silent?.closeAllConnections();
    silent?.close();
    await t?.close();
  });

  it('a server that takes the request but never answers → 504 after the idle timeout, with a clear page', async () => {
    const reply = await get(t.port, host(silentPort), 'text/html');
    assert.equal(reply.status, 504);
    assert.match(reply.body, /No answer in time/);
    assert.match(reply.body, new RegExp(`The server on port ${silentPort} of node1 did not answer within 600 ms`));
  });

  it('a server that never accepts the connection → 504 after the connect timeout', async () => {
    // A listener with a full accept queue that never accepts: the kernel drops further SYNs.
    unaccepting = spawn('python3', ['-c', [
      'import socket, sys, time',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
      'print(s.getsockname()[1], flush=True); time.sleep(120)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number(await new Promise<string>((resolve) => unaccepting.stdout!.once('data', (chunk) => resolve(String(chunk)))));
    fillers = Array.from({ length: 4 }, () => createConnection({ host: '127.0.0.1', port }).on('error', () => undefined));
    // The agent would report it listening; the proxy's lookup cache holds a row for up to 2 s.
    await t.app.db.instance.update({ where: { id: instanceId }, data: { ports: { push: port } } });
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    const reply = await get(t.port, host(port));
    assert.equal(reply.status, 504, `${reply.status} ${reply.body}`);
    const body = JSON.parse(reply.body);
    assert.equal(body.error.code, 'timeout');
    assert.match(body.error.message, new RegExp(`port ${port} of node1 did not accept the connection within 700 ms`));
  });

  it('caps connections per instance: beyond the cap → 429 with Retry-After; freed slots are reusable', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => get(t.port, host(slowPort))));
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const refused = replies.find((reply) => reply.status === 429)!;
    assert.equal(refused.headers['retry-after'], '5');
    assert.match(JSON.parse(refused.body).error.message, /node1 already has 3 open connections through the playground/);
    const again = await Promise.all(Array.from({ length: 3 }, () => get(t.port, host(slowPort))));
    assert.deepEqual(again.map((reply) => reply.status), [200, 200, 200]);
  });
});
