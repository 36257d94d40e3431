import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  newInstanceId,
  newSessionId,
  type AgentToOrchestrator,
  type AttachRequest,
  type OrchestratorToAgent,
  type TerminalClientToServer,
  type TerminalServerToClient,
} from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';

// Seam test of /agent and /terminal with a small in-test agent client; the cross-app
// tests run the real node agent.

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;
type BrowserClient = Socket<TerminalServerToClient, TerminalClientToServer>;

function once<T>(register: (resolve: (value: T) => void) => void, timeoutMs = 3_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe('agent and terminal gateways', () => {
  let t: TestOrchestrator;
  const nodeId = `tg-${Date.now().toString(36)}`;
  const sessionId = newSessionId();
  const otherSessionId = newSessionId();
  const instanceId = newInstanceId();
  const otherInstanceId = newInstanceId();
  const clients: Array<{ close(): void }> = [];

  const agentClient = (token: string) => {
    const client: AgentClient = connect(`${t.baseUrl}/agent`, { auth: { nodeId, token }, transports: ['websocket'], reconnection: false });
    clients.push(client);
    return client;
  };
  const browser = (auth: Record<string, unknown>) => {
    const client: BrowserClient = connect(`${t.baseUrl}/terminal`, { auth, transports: ['websocket'], reconnection: false });
    clients.push(client);
    return client;
  };

  before(async () => {
    t = await startTestOrchestrator('terminal');
  });
  after(async () => {
    for (const client of clients) client.close();
    await t?.close();
  });

  it('refuses an agent without the right token', async () => {
    const agent = agentClient('wrong-token-wrong-token');
    const error = await once<Error>((resolve) => agent.on('connect_error', resolve));
    assert.match(error.message, /Agent authentication failed/);
  });

  let agent: AgentClient;
  it('node.announce records the node as ready; node.live lists its live ids', async () => {
    agent = agentClient(t.agentToken(nodeId));
    await once<void>((resolve) => agent.on('connect', () => resolve()));
    agent.emit('node.announce', {
      nodeId,
      name: 'test node',
      engineVersion: '20.10.24',
      capacity: { instances: 7, memoryBytes: 8 << 30 },
      usage: { instances: 0 },
    });
    const node = await eventually(() => t.app.db.node.findUnique({ where: { id: nodeId } }), { timeoutMs: 5_000, description: 'the announced node row' });
    assert.equal(node.status, 'ready');
    assert.equal(node.capacityInstances, 7);
    assert.equal(node?.engineVersion, '20.10.24');

    const expires = new Date(Date.now() + 3600_000);
    await t.app.db.session.createMany({
      data: [
        { id: sessionId, clientKey: 'a', nodeId, expiresAt: expires },
        { id: otherSessionId, clientKey: 'b', nodeId, expiresAt: expires },
      ],
    });
    await t.app.db.instance.createMany({
      data: [
        { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '10.0.0.2' },
        { id: otherInstanceId, sessionId: otherSessionId, nodeId, hostname: 'node1', status: 'running', ip: '10.0.0.3' },
      ],
    });
    const live = await agent.timeout(3_000).emitWithAck('node.live');
    assert.deepEqual([...live.instanceIds].sort(), [instanceId, otherInstanceId].sort());
    assert.deepEqual([...live.sessionIds].sort(), [sessionId, otherSessionId].sort());
  });

  it('instance.ports stores the listening ports', async () => {
    agent.emit('instance.ports', instanceId, [8080, 80, 80]);
    const ports = await eventually(
      async () => {
        const stored = (await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } })).ports;
        return stored.length > 0 && stored;
      },
      { timeoutMs: 5_000, description: 'the reported ports on the instance row' },
    );
    assert.deepEqual(ports, [80, 8080]);
  });

  it('refuses a terminal for an instance of another session', async () => {
    const client = browser({ sessionId, instanceId: otherInstanceId });
    const error = await once<Error>((resolve) => client.on('connect_error', resolve));
    assert.match(error.message, /does not belong to this session/);
    const malformed = browser({ sessionId: 'x', instanceId });
    assert.match((await once<Error>((resolve) => malformed.on('connect_error', resolve))).message, /valid sessionId/);
  });

  it('relays attach, output (acked or not, bytes or text), input, resize and detach', async () => {
    const attached = once<AttachRequest>((resolve) =>
      agent.once('terminal.attach', (request, reply) => {
        reply({ ok: true });
        resolve(request);
      }),
    );
    const client = browser({ sessionId, instanceId, cols: 100, rows: 30 });
    const request = await attached;
    assert.equal(request.instanceId, instanceId);
    assert.deepEqual(request.size, { cols: 100, rows: 30 });

    const output = once<string | Uint8Array>((resolve) => client.once('output', resolve));
    const acked = once<void>((resolve) => agent.emit('terminal.output', request.viewerId, Buffer.from('hello $ '), () => resolve()));
    assert.equal(Buffer.from((await output) as Uint8Array).toString(), 'hello $ ');
    await acked;
    // Most chunks (keystroke echoes) come as text and ask for no ack; relayed as they are.
    const echo = once<string | Uint8Array>((resolve) => client.once('output', resolve));
    agent.emit('terminal.output', request.viewerId, 'l€');
    assert.equal(await echo, 'l€');

    const input = once<[string, string]>((resolve) => agent.once('terminal.input', (viewerId, data) => resolve([viewerId, data])));
    client.emit('input', 'ls\r');
    assert.deepEqual(await input, [request.viewerId, 'ls\r']);

    const resize = once<unknown>((resolve) => agent.once('terminal.resize', (_viewerId, size) => resolve(size)));
    client.emit('resize', { cols: 120, rows: 40 });
    assert.deepEqual(await resize, { cols: 120, rows: 40 });

    const detached = once<string>((resolve) => agent.once('terminal.detach', resolve));
    client.close();
    assert.equal(await detached, request.viewerId);
  });

  it('holds acks while the browser does not read, and releases them once it drains', async (ctx) => {
    const attached = once<AttachRequest>((resolve) =>
      agent.once('terminal.attach', (request, reply) => {
        reply({ ok: true });
        resolve(request);
      }),
    );
    const client = browser({ sessionId, instanceId });
    const { viewerId } = await attached;
    let received = 0;
    client.on('output', (data) => (received += (data as Uint8Array).byteLength));
    // A browser that stops reading: pause its TCP socket so the kernel buffers fill up.
    const tcp = (client.io.engine as any).transport.ws._socket;
    tcp.pause();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = 640; // 40 MiB, far more than loopback socket buffers hold
    let acks = 0;
    for (let i = 0; i < chunks; i++) agent.emit('terminal.output', viewerId, chunk, () => acks++);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const ackedWhilePaused = acks;
    assert.ok(ackedWhilePaused < chunks, `acks held back (${ackedWhilePaused} of ${chunks})`);
    ctx.diagnostic(`acked while paused: ${ackedWhilePaused} of ${chunks} chunks of 64 KiB`);
    tcp.resume();
    await eventually(() => acks === chunks, { timeoutMs: 15_000, description: `every ack released after draining (${chunks} chunks)` });
    await eventually(() => received === chunks * chunk.length, { timeoutMs: 15_000, description: `all ${chunks * chunk.length} bytes received` });
    client.close();
  });

  it('a failed attach ends the terminal with the agent message', async () => {
    agent.once('terminal.attach', (_request, reply) => reply({ ok: false, code: 'no_shell', message: 'no shell in there' }));
    const client = browser({ sessionId, instanceId });
    const exit = await once<{ reason: string }>((resolve) => client.on('exit', resolve));
    assert.match(exit.reason, /no shell in there/);
  });

  it('when the agent link drops, its terminals get exit and are disconnected', async () => {
    const attached = once<void>((resolve) =>
      agent.once('terminal.attach', (_request, reply) => {
        reply({ ok: true });
        resolve();
      }),
    );
    const client = browser({ sessionId, instanceId });
    await attached;
    const exit = once<{ reason: string }>((resolve) => client.on('exit', resolve));
    const disconnected = once<string>((resolve) => client.on('disconnect', resolve));
    agent.close();
    assert.match((await exit).reason, /connection to the node was lost/);
    assert.equal(await disconnected, 'io server disconnect');
  });

  it('refuses terminals at once (retryable) while a node agent whose link dropped is away', async () => {
    const client = browser({ sessionId, instanceId });
    const error = await once<Error & { data?: { retryable?: boolean } }>((resolve) => client.on('connect_error', resolve));
    assert.match(error.message, /not connected/);
    assert.equal(error.data?.retryable, true);
  });

  it('a terminal opened before its node agent first connects waits for it instead of failing', async () => {
    // A node this orchestrator has never seen connected: its agent (or this process) just started.
    const freshNode = `${nodeId}-b`;
    const freshSession = newSessionId();
    const freshInstance = newInstanceId();
    await t.app.db.node.create({ data: { id: freshNode, name: 'fresh node', status: 'ready', lastSeenAt: new Date() } });
    await t.app.db.session.create({ data: { id: freshSession, clientKey: 'c', nodeId: freshNode, expiresAt: new Date(Date.now() + 3600_000) } });
    await t.app.db.instance.create({ data: { id: freshInstance, sessionId: freshSession, nodeId: freshNode, hostname: 'node1', status: 'running', ip: '10.0.0.4' } });

    const client = browser({ sessionId: freshSession, instanceId: freshInstance });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const late: AgentClient = connect(`${t.baseUrl}/agent`, { auth: { nodeId: freshNode, token: t.agentToken(freshNode) }, transports: ['websocket'], reconnection: false });
    clients.push(late);
    await once<void>(
      (resolve) =>
        late.once('terminal.attach', (_request, reply) => {
          reply({ ok: true });
          resolve();
        }),
      6_000,
    );
    const connected = client.connected || (await once<boolean>((resolve) => client.on('connect', () => resolve(true))));
    assert.equal(connected, true);
  });
});
