import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionView, TerminalExitInfo } from '@playground/contracts';
import { createInstance, createSessionOnSomeNode, listNodes, nodeOfInstance, type ApiError } from '../support/cluster.ts';
import { collectOutput, echoThroughTerminal, handshake, openTerminal } from '../support/terminal.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A node agent dies (kill -9: no goodbye) while a learner works on it. Within the heartbeat
// timeout the node is down and its session is lost, said plainly; requests for it fail
// fast; the other node's learner notices nothing. When the agent returns it removes what
// the lost session left on its engine and the node takes sessions again.

const NODE_DOWN_AFTER_MS = 4_000;

describe('a node agent killed and restarted', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let victim: { session: SessionView; nodeId: string; instanceId: string };
  let survivor: { session: SessionView; nodeId: string; instanceId: string };
  const sessions: string[] = [];
  before(async () => {
    stack = await startTestStack('cluster-node-loss', {
      nodes: 2,
      env: { NODE_DOWN_AFTER_MS: String(NODE_DOWN_AFTER_MS), REAPER_INTERVAL_MS: '500', HEARTBEAT_INTERVAL_MS: '1000' },
    });
    // One session per node (equal room: the second goes to the node with fewer sessions).
    const placed = [await createSessionOnSomeNode(stack), await createSessionOnSomeNode(stack)];
    assert.notEqual(placed[0]!.nodeId, placed[1]!.nodeId);
    const withInstances = await Promise.all(
      placed.map(async (p) => ({ ...p, instanceId: (await createInstance(stack, p.session.id)).id })),
    );
    sessions.push(...placed.map((p) => p.session.id));
    // The victim is node 2, the one with an engine of its own (infra/node-engines.sh).
    victim = withInstances.find((p) => p.nodeId === stack.nodeIds[1])!;
    survivor = withInstances.find((p) => p.nodeId === stack.nodeIds[0])!;
    assert.equal(await nodeOfInstance(stack, victim.instanceId), victim.nodeId);
  });
  after(async () => stack?.teardown());

  it('declares the node down within the timeout and the session lost; calls fail fast', async () => {
    const terminal = openTerminal(stack, { sessionId: victim.session.id, instanceId: victim.instanceId });
    const output = collectOutput(terminal);
    const exits: TerminalExitInfo[] = [];
    terminal.on('exit', (info: TerminalExitInfo) => exits.push(info));
    assert.equal(await handshake(terminal), 'connected');
    await eventually(async () => /root@/.test(output.text()), { timeoutMs: 30_000, description: 'the prompt' });

    await stack.kill(`agent:${victim.nodeId}`);

    // Before the verdict: adding an instance is refused, not left waiting on the dead node.
    const early = await stack.api<ApiError>('POST', `/api/v1/sessions/${victim.session.id}/instances`, {});
    assert.ok([503, 410].includes(early.status), `early POST: ${early.status} ${JSON.stringify(early.body)}`);

    await eventually(async () => (await listNodes(stack)).get(victim.nodeId)?.status === 'down', { timeoutMs: 20_000, description: 'the node to be down' });

    const lost = await stack.api<SessionView>('GET', `/api/v1/sessions/${victim.session.id}`);
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    assert.equal(lost.body.status, 'lost');
    assert.deepEqual(lost.body.instances.map((i) => i.status), ['lost']);
    // The open terminal learnt of it at once (the link dropped: "reconnecting"), or at the
    // verdict; a reconnect, as the page makes, is then refused with the reason.
    assert.ok(exits.length > 0, 'the open terminal got an exit');
    assert.match(exits[0]!.reason, /connection to the node was lost|stopped responding/);
    terminal.close();

    const refused = await stack.api<ApiError>('POST', `/api/v1/sessions/${victim.session.id}/instances`, {});
    assert.equal(refused.status, 410, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'session_lost');
    const again = openTerminal(stack, { sessionId: victim.session.id, instanceId: victim.instanceId });
    assert.match(await handshake(again), /^refused: .*stopped responding/);
    again.close();

    // The other node's learner notices nothing.
    await echoThroughTerminal(stack, survivor.session.id, survivor.instanceId);
    // The dead agent's containers are still on its engine: its return must clean them up.
    assert.equal(await nodeOfInstance(stack, victim.instanceId), victim.nodeId);
  });

  it('the returning agent removes the lost session from its engine and the node is ready again', async () => {
    stack.restart(`agent:${victim.nodeId}`);
    await eventually(async () => (await listNodes(stack)).get(victim.nodeId)?.status === 'ready', { timeoutMs: 60_000, description: 'the node to be ready again' });
    await eventually(
      async () => (await stack.leftovers()).filter((item) => item.endsWith(`(${victim.nodeId})`)).length === 0,
      { timeoutMs: 60_000, description: `the lost session's container, network and volumes removed from ${victim.nodeId}` },
    );
    const still = await stack.api<SessionView>('GET', `/api/v1/sessions/${victim.session.id}`);
    assert.equal(still.body.status, 'lost', 'a lost session stays lost');

    // The emptier node (the one that returned) takes the next session, and it works.
    const next = await createSessionOnSomeNode(stack);
    sessions.push(next.session.id);
    assert.equal(next.nodeId, victim.nodeId);
    const instance = await createInstance(stack, next.session.id);
    assert.equal(await nodeOfInstance(stack, instance.id), victim.nodeId);
    await echoThroughTerminal(stack, next.session.id, instance.id);
  });

  it('leaves no container, network or volume behind once the sessions end', async () => {
    for (const id of sessions) assert.equal((await stack.api('DELETE', `/api/v1/sessions/${id}`)).status, 204);
    assert.equal((await stack.api('GET', `/api/v1/sessions/${victim.session.id}`)).status, 404, 'a deleted lost session is gone');
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
