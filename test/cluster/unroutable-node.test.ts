import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sessionNetworkName, type SessionView } from '@playground/contracts';
import WebSocket from 'ws';
import { createInstance, createSession, listNodes } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// Nodes on any host: a node whose instance network the orchestrator cannot reach still serves
// its port URLs, because port traffic travels over the node agent's own link. Node 2's engine
// is made unroutable from the orchestrator with a firewall rule that rejects (as "network
// unreachable") everything the orchestrator's process sends to the session's network: the
// orchestrator runs under a group id of its own and the rule matches that group. The control
// shows the rule bites: a connection from a process of that group to the instance fails, the
// same connection from any other process of this host succeeds.

const run = promisify(execFile);
const ECHO_SERVER = readFileSync(new URL('./port-echo-server.pl', import.meta.url), 'utf8');

/** Connects from a process of this host (under `gid` when given): 'connected' or the error code. */
async function tcpProbe(host: string, port: number, gid?: number): Promise<string> {
  const script = `const s = require('node:net').connect(${port}, ${JSON.stringify(host)});
s.setTimeout(5000, () => { console.log('ETIMEDOUT'); process.exit(0); });
s.on('connect', () => { console.log('connected'); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { gid, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  return out.trim();
}

function httpThroughEdge(port: number, host: string, path: string, method = 'GET', body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a WebSocket through the edge, sends a text and a 200 KB binary message, returns what came back. */
async function echoOverWebSocket(port: number, host: string, path: string): Promise<{ text: string; binary: Buffer }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host } });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    });
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    const both = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer, binary: boolean) => {
        messages.push({ data, binary });
        if (messages.length === 2) resolve();
      }),
    );
    const blob = randomBytes(200 * 1024);
    ws.send('ping over the agent link');
    ws.send(blob);
    await both;
    assert.ok(messages[1]!.data.equals(blob), 'the binary message came back byte for byte');
    return { text: messages[0]!.data.toString(), binary: messages[1]!.data };
  } finally {
    ws.close();
  }
}

describe('a node whose instance network the orchestrator cannot reach', { timeout: 6 * 60_000 }, () => {
  let stack: TestStack;
  let session: SessionView;
  let instanceId: string;
  let instanceIp: string;
  let edgePort: number;
  const orchestratorGid = randomInt(40_000, 60_000);
  let rule: string[] | undefined;

  before(async () => {
    stack = await startTestStack('cluster-unroutable', { nodes: 2, web: true, orchestratorGid, env: { WARM_POOL_SIZE: '0' } });
    edgePort = stack.options.port;
    // Every new session goes to node 2, the one with an engine of its own.
    const drained = await stack.admin('POST', `/api/v1/nodes/${stack.nodeIds[0]}/drain`);
    assert.equal(drained.status, 200);
    session = await createSession(stack);
    const nodes = await listNodes(stack);
    assert.equal(nodes.get(stack.nodeIds[1]!)?.usage.sessions, 1, 'the session is on node 2');

    const instance = await createInstance(stack, session.id);
    instanceId = instance.id;
    instanceIp = instance.ip!;
    // The session's network exists with its first instance; from here the orchestrator has no route to it.
    const network = JSON.parse(await stack.docker(stack.nodeIds[1]!, ['network', 'inspect', sessionNetworkName(session.id)]))[0];
    const subnet: string = network.IPAM.Config[0].Subnet;
    rule = ['OUTPUT', '-d', subnet, '-m', 'owner', '--gid-owner', String(orchestratorGid), '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable'];
    await run('iptables', ['-w', '-I', ...rule]);
    const script = `cat > /root/echo-server.pl <<'PERL'\n${ECHO_SERVER}PERL\nsetsid perl /root/echo-server.pl 8080 </dev/null >/dev/null 2>&1 &`;
    const started = await stack.api<{ exitCode: number }>('POST', `/api/v1/sessions/${session.id}/instances/${instanceId}/exec`, { script });
    assert.equal(started.status, 200);
    await eventually(
      async () => {
        const view = await stack.api<SessionView>('GET', `/api/v1/sessions/${session.id}`);
        return view.body.instances[0]?.ports.some((port) => port.port === 8080) ?? false;
      },
      { timeoutMs: 60_000, description: 'the node agent reports port 8080 listening' },
    );
  });
  after(async () => {
    if (rule) await run('iptables', ['-w', '-D', ...rule]).catch((error) => console.error(`removing the test's iptables rule failed: ${error}`));
    await stack?.teardown();
  });

  it("control: the orchestrator's side has no route to the instance, the rest of this host has", async () => {
    assert.equal(await tcpProbe(instanceIp, 8080, orchestratorGid), 'ENETUNREACH', "a process of the orchestrator's group cannot connect");
    assert.equal(await tcpProbe(instanceIp, 8080), 'connected', 'the server listens, and other processes reach it');
  });

  it('serves the page, a request body and its streamed answer through both URL forms', async () => {
    const hostForm = `${instanceId}-8080.ports.localhost:${edgePort}`;
    const pathForm = `/ports/${instanceId}/8080`;
    for (const [host, path] of [
      [hostForm, '/'],
      [`localhost:${edgePort}`, `${pathForm}/`],
    ] as const) {
      const page = await httpThroughEdge(edgePort, host, path);
      assert.equal(page.status, 200, `${host}${path}: ${page.body}`);
      assert.match(page.body.toString(), /hello from node1/);
      const body = randomBytes(3 * 1024 * 1024);
      const echoed = await httpThroughEdge(edgePort, host, `${path}upload`, 'POST', body);
      assert.equal(echoed.status, 200);
      assert.ok(echoed.body.equals(body), `${host}${path}: the 3 MiB body came back unchanged`);
    }
  });

  it('carries WebSocket messages both ways through both URL forms', async () => {
    const byHost = await echoOverWebSocket(edgePort, `${instanceId}-8080.ports.localhost:${edgePort}`, '/echo');
    assert.equal(byHost.text, 'ping over the agent link');
    const byPath = await echoOverWebSocket(edgePort, `localhost:${edgePort}`, `/ports/${instanceId}/8080/echo`);
    assert.equal(byPath.text, 'ping over the agent link');
  });
});
