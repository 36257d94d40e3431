import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  newInstanceId,
  newSessionId,
  type AgentToOrchestrator,
  type OrchestratorToAgent,
  type TerminalClientToServer,
  type TerminalServerToClient,
} from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';

// Probes of the terminal event limits: a browser that floods `input` or `resize`, or sends
// oversize or malformed input, has the excess dropped with one notice and keeps its terminal.
// A real browser-side Socket.IO client; a small in-test client stands in for the node agent.

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;
type BrowserClient = Socket<TerminalServerToClient, TerminalClientToServer>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('terminal event limits', () => {
  let t: TestOrchestrator;
  let agent: AgentClient;
  let browser: BrowserClient;
  const nodeId = `tl-${Date.now().toString(36)}`;
  const sessionId = newSessionId();
  const instanceId = newInstanceId();
  const inputs: string[] = [];
  const resizes: unknown[] = [];
  const shown: string[] = [];

  before(async () => {
    t = await startTestOrchestrator('terminal-limits', { TERMINAL_INPUT_EVENTS_PER_SECOND: '5', TERMINAL_RESIZE_EVENTS_PER_SECOND: '2' });
    agent = connect(`${t.baseUrl}/agent`, { auth: { nodeId, token: t.agentToken(nodeId) }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      agent.once('connect', () => resolve());
      agent.once('connect_error', reject); // a refused agent fails the test at once, never hangs it
    });
    agent.emit('node.announce', { nodeId, name: nodeId, engineVersion: '20.10', capacity: { instances: 5, memoryBytes: 1 << 30 }, usage: { instances: 0 } });
    await eventually(() => t.app.db.node.findUnique({ where: { id: nodeId } }), { timeoutMs: 5_000, description: 'the announced node row' });
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'c', nodeId, expiresAt: new Date(Date.now() + 3600_000) } });
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '10.0.0.2' } });
    agent.on('terminal.attach', (_request, reply) => reply({ ok: true }));
    agent.on('terminal.input', (_viewerId, data) => inputs.push(data));
    agent.on('terminal.resize', (_viewerId, size) => resizes.push(size));

    browser = connect(`${t.baseUrl}/terminal`, { auth: { sessionId, instanceId }, transports: ['websocket'], reconnection: false });
    browser.on('output', (data) => shown.push(typeof data === 'string' ? data : Buffer.from(data).toString()));
    await new Promise<void>((resolve) => browser.once('connect', () => resolve()));
  });
  after(async () => {
    browser?.close();
    agent?.close();
    await t?.close();
  });

  /** Waits until the relayed traffic settled. */
  const settle = () => sleep(300);
  const notices = (pattern: RegExp) => shown.filter((text) => pattern.test(text)).length;

  it('drops oversize input with one notice; the shell never sees it', async () => {
    const huge = 'x'.repeat(70_000);
    browser.emit('input', huge);
    browser.emit('input', huge);
    await settle();
    assert.equal(inputs.filter((data) => data.length > 1000).length, 0);
    assert.equal(notices(/larger than 65536 characters in one piece was dropped/), 1);
  });

  it('a flood of input events: the burst passes, the rest is dropped with one notice, typing works again later', async () => {
    inputs.length = 0;
    for (let i = 0; i < 200; i++) browser.emit('input', `k${i}`);
    await settle();
    assert.ok(inputs.length >= 10 && inputs.length <= 13, `${inputs.length} of 200 flooded events reached the shell`);
    assert.deepEqual(inputs.slice(0, 10), Array.from({ length: 10 }, (_, i) => `k${i}`), 'what passes keeps its order');
    assert.equal(notices(/typing faster than the terminal accepts/), 1);
    await sleep(1_000);
    inputs.length = 0;
    browser.emit('input', 'ls\r');
    await settle();
    assert.deepEqual(inputs, ['ls\r']);
  });

  it('a flood of resizes is cut to the budget with one notice', async () => {
    for (let i = 0; i < 50; i++) browser.emit('resize', { cols: 80 + (i % 20), rows: 24 });
    await settle();
    assert.ok(resizes.length >= 4 && resizes.length <= 6, `${resizes.length} of 50 resizes reached the shell`);
    assert.equal(notices(/resized too often/), 1);
  });

  it('malformed events do not crash the gateway or end the terminal', async () => {
    await sleep(1_000);
    (browser as unknown as Socket).emit('input', { evil: true });
    (browser as unknown as Socket).emit('input', Buffer.alloc(200_000));
    (browser as unknown as Socket).emit('resize', 'big');
    inputs.length = 0;
    browser.emit('input', 'still here\r');
    await settle();
    assert.equal(browser.connected, true);
    assert.deepEqual(inputs, ['still here\r']);
  });
});
