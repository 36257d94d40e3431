import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sessionNetworkName, type SessionView } from '@playground/contracts';
import { createInstance, createSession, listNodes } from '../support/cluster.ts';
import { echoOverWebSocket, httpThrough, startEchoServer } from '../support/port-traffic.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// Nodes on any host: a node whose instance network the orchestrator cannot reach still serves
// its port URLs, because port traffic travels over the node agent's own link. Node 2's engine
// is made unroutable from the orchestrator with a firewall rule that rejects (as "network
// unreachable") everything the orchestrator's process sends to the session's network: the
// orchestrator runs under a group id of its own and the rule matches that group. The control
// shows the rule bites: a connection from a process of that group to the instance fails, the
// same connection from any other process of this host succeeds.

const run = promisify(execFile);

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
    await startEchoServer(stack, session.id, instanceId);
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
      const page = await httpThrough(edgePort, host, path);
      assert.equal(page.status, 200, `${host}${path}: ${page.body}`);
      assert.match(page.body.toString(), /hello from node1/);
      const body = randomBytes(3 * 1024 * 1024);
      const echoed = await httpThrough(edgePort, host, `${path}upload`, 'POST', body);
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
