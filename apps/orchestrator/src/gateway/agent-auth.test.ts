import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT, type AgentToOrchestrator, type OrchestratorToAgent } from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';

// Per-node agent credentials against a real orchestrator, Postgres and Socket.IO: a token
// opens its own node only, one live link per node, rotation revokes. Small in-test agent
// clients on /agent stand in for node agents.

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;
type Outcome = { connected: true } | { connected: false; message: string; data: unknown };

describe('agent links: per-node credentials', () => {
  let t: TestOrchestrator;
  const clients: AgentClient[] = [];

  /** Connects as `nodeId`; a live agent answers pings, a hung one (`answersPing: false`) does not. */
  function dial(nodeId: string, token: string, answersPing = true): Promise<{ client: AgentClient; outcome: Outcome }> {
    const client: AgentClient = connect(`${t.baseUrl}/agent`, { auth: { nodeId, token }, transports: ['websocket'], reconnection: false });
    clients.push(client);
    if (answersPing) client.on('node.ping', (reply) => reply());
    return new Promise((resolve) => {
      client.on('connect', () => resolve({ client, outcome: { connected: true } }));
      client.on('connect_error', (error: Error & { data?: unknown }) =>
        resolve({ client, outcome: { connected: false, message: error.message, data: error.data } }),
      );
    });
  }

  async function audits(nodeId: string, type: string): Promise<number> {
    return t.app.db.auditEvent.count({ where: { nodeId, type } });
  }

  before(async () => {
    t = await startTestOrchestrator('agent-auth');
  });
  after(async () => {
    for (const client of clients) client.close();
    await t?.close();
  });

  it("node A's token cannot connect as node B (positive control: it opens A)", async () => {
    const forged = await dial('node-b-forged', t.agentToken('node-a-real'));
    assert.equal(forged.outcome.connected, false);
    assert.match((forged.outcome as { message: string }).message, /Agent authentication failed/);
    const own = await dial('node-a-real', t.agentToken('node-a-real'));
    assert.equal(own.outcome.connected, true);
    own.client.close();
  });

  it('a second connection claiming a node with a live link is refused and audited; the first stays', async () => {
    const nodeId = 'node-live';
    const first = await dial(nodeId, t.agentToken(nodeId));
    assert.equal(first.outcome.connected, true);
    const second = await dial(nodeId, t.agentToken(nodeId));
    assert.equal(second.outcome.connected, false);
    assert.match((second.outcome as { message: string }).message, /already has a live agent connection/);
    assert.deepEqual((second.outcome as { data: unknown }).data, { code: 'node_already_connected' });
    assert.equal(first.client.connected, true, 'the live link is not replaced');
    assert.equal(await audits(nodeId, EVENT.nodeConnectionRefused), 1);
    first.client.close();
  });

  it('a restarted agent gets back in when the old link no longer answers', async () => {
    const nodeId = 'node-restarted';
    const hung = await dial(nodeId, t.agentToken(nodeId), false);
    assert.equal(hung.outcome.connected, true);
    const restarted = await dial(nodeId, t.agentToken(nodeId));
    assert.equal(restarted.outcome.connected, true);
    await new Promise<void>((resolve) => (hung.client.connected ? hung.client.once('disconnect', () => resolve()) : resolve()));
    assert.equal(await audits(nodeId, EVENT.nodeConnectionRefused), 0);
    restarted.client.close();
  });

  it('POST /api/v1/nodes/:id/token rotates: the old token is refused, the live link cut, the new one works', async () => {
    const nodeId = 'node-rotated';
    const old = await dial(nodeId, t.agentToken(nodeId));
    assert.equal(old.outcome.connected, true);
    const cut = new Promise<void>((resolve) => old.client.once('disconnect', () => resolve()));

    assert.equal((await t.request('POST', `/api/v1/nodes/${nodeId}/token`)).status, 401);
    const admin = { authorization: `Bearer ${t.adminToken}` };
    const bad = await t.request('POST', '/api/v1/nodes/Not_A_Node/token', { headers: admin });
    assert.equal(bad.status, 400);
    assert.equal((await json(bad)).error.code, 'bad_request');

    const issued = await t.request('POST', `/api/v1/nodes/${nodeId}/token`, { headers: admin });
    assert.equal(issued.status, 200);
    const body = await json<{ nodeId: string; token: string; generation: number }>(issued);
    assert.equal(body.nodeId, nodeId);
    assert.equal(body.generation, 1);
    await cut;

    const again = await dial(nodeId, t.agentToken(nodeId));
    assert.equal(again.outcome.connected, false, 'the revoked token no longer opens the node');
    const fresh = await dial(nodeId, body.token);
    assert.equal(fresh.outcome.connected, true);
    assert.equal((await dial('node-other', body.token)).outcome.connected, false, 'the new token is bound to its node too');
    assert.equal(await audits(nodeId, EVENT.nodeCredentialRotated), 1);
    fresh.client.close();
  });
});
