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

// A browser's extra shells (terminal tabs): the attach names the shell, numbers at or above
// TERMINAL_SHELLS_PER_INSTANCE are refused at the handshake with a message the learner reads,
// and a closed tab ends its shell on the node (never the main one). A real browser-side
// Socket.IO client; a small in-test client stands in for the node agent (terminal-manager.test.ts
// runs the agent's side against real shells, test/e2e/terminal.test.ts the whole path).

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;
type BrowserClient = Socket<TerminalServerToClient, TerminalClientToServer>;

describe('terminal shells per instance', () => {
  let t: TestOrchestrator;
  let agent: AgentClient;
  const nodeId = `ts-${Date.now().toString(36)}`;
  const sessionId = newSessionId();
  const instanceId = newInstanceId();
  const attaches: AttachRequest[] = [];
  const closed: string[] = [];
  const browsers: BrowserClient[] = [];

  const browser = (auth: Record<string, unknown>) => {
    const client: BrowserClient = connect(`${t.baseUrl}/terminal`, { auth, transports: ['websocket'], reconnection: false });
    browsers.push(client);
    return client;
  };
  const connected = (client: BrowserClient) =>
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
  const refusal = (client: BrowserClient) =>
    new Promise<string>((resolve, reject) => {
      client.once('connect', () => reject(new Error('connected')));
      client.once('connect_error', (error) => resolve(error.message));
    });

  before(async () => {
    t = await startTestOrchestrator('terminal-shells', { TERMINAL_SHELLS_PER_INSTANCE: '2' });
    agent = connect(`${t.baseUrl}/agent`, { auth: { nodeId, token: t.agentToken(nodeId) }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      agent.once('connect', () => resolve());
      agent.once('connect_error', reject);
    });
    agent.emit('node.announce', { nodeId, name: nodeId, engineVersion: '20.10', capacity: { instances: 5, memoryBytes: 1 << 30 }, usage: { instances: 0 } });
    await eventually(() => t.app.db.node.findUnique({ where: { id: nodeId } }), { timeoutMs: 5_000, description: 'the announced node row' });
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'c', nodeId, expiresAt: new Date(Date.now() + 3600_000) } });
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '10.0.0.2' } });
    agent.on('terminal.attach', (request, reply) => {
      attaches.push(request);
      reply({ ok: true });
    });
    agent.on('terminal.close', (viewerId) => closed.push(viewerId));
  });
  after(async () => {
    for (const client of browsers) client.close();
    agent?.close();
    await t?.close();
  });

  it('attaches the main shell by default and an extra shell by its number', async () => {
    await connected(browser({ sessionId, instanceId }));
    await connected(browser({ sessionId, instanceId, shell: 1 }));
    await eventually(() => attaches.length === 2, { timeoutMs: 5_000, description: 'two attaches on the node' });
    assert.deepEqual(
      attaches.map((request) => request.shell),
      [0, 1],
    );
  });

  it('refuses a shell beyond the limit with a message for the learner', async () => {
    const message = await refusal(browser({ sessionId, instanceId, shell: 2 }));
    assert.equal(message, 'An instance can have at most 2 shells open. Close a tab to open another.');
    assert.equal(attaches.length, 2, 'the node was never asked');
  });

  it('a closed tab ends its own shell on the node; closing the main shell is ignored', async () => {
    const [main, extra] = browsers;
    main!.emit('closeShell');
    extra!.emit('closeShell');
    await eventually(() => closed.length === 1, { timeoutMs: 5_000, description: 'terminal.close on the node' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the main socket's close had time to arrive too
    assert.equal(closed.length, 1);
    assert.equal(closed[0], attaches[1]!.viewerId, "the extra shell's viewer, not the main one's");
  });
});
