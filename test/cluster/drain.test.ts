import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NodeView, SessionView } from '@playground/contracts';
import { createInstance, createSessionOnSomeNode, listNodes, nodeOfInstance } from '../support/cluster.ts';
import { echoThroughTerminal } from '../support/terminal.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// An operator drains a node (before maintenance): it takes no new sessions, while the
// learners already on it keep working; undrain gives it back to the scheduler.

describe('draining a node', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let first: string;
  let second: string;
  const sessions: SessionView[] = [];
  before(async () => {
    // Node 1 has more room, so the scheduler's first choice is known: node 1. (Memory is
    // announced large on both, so slots decide whatever this machine's memory.)
    stack = await startTestStack('cluster-drain', {
      nodes: 2,
      nodeEnv: (index) => ({ CAPACITY_INSTANCES: index === 0 ? '10' : '4', CAPACITY_MEMORY_MB: '1048576' }),
    });
    [first, second] = stack.nodeIds as [string, string];
  });
  after(async () => stack?.teardown());

  it('a drained node takes no new sessions; its session keeps working', async () => {
    const onFirst = await createSessionOnSomeNode(stack);
    sessions.push(onFirst.session);
    assert.equal(onFirst.nodeId, first, 'the node with more room gets the first session');
    const instance = await createInstance(stack, onFirst.session.id);

    const drained = await stack.admin<NodeView>('POST', `/api/v1/nodes/${first}/drain`, {});
    assert.equal(drained.status, 200, JSON.stringify(drained.body));
    assert.equal(drained.body.status, 'draining');
    assert.equal((await listNodes(stack)).get(first)?.status, 'draining');

    // New sessions all go to the other node, although node 1 has more room.
    for (let i = 0; i < 2; i++) {
      const placed = await createSessionOnSomeNode(stack);
      sessions.push(placed.session);
      assert.equal(placed.nodeId, second, 'a new session must not land on the drained node');
    }
    const elsewhere = await createInstance(stack, sessions[1]!.id);
    assert.equal(await nodeOfInstance(stack, elsewhere.id), second);

    // The session on the drained node: its terminal answers and it may add an instance.
    await echoThroughTerminal(stack, onFirst.session.id, instance.id);
    const added = await createInstance(stack, onFirst.session.id);
    assert.equal(await nodeOfInstance(stack, added.id), first, 'a draining node still serves the sessions it has');
    await echoThroughTerminal(stack, onFirst.session.id, added.id);
  });

  it('undrain gives the node back to the scheduler', async () => {
    const undrained = await stack.admin<NodeView>('POST', `/api/v1/nodes/${first}/undrain`, {});
    assert.equal(undrained.status, 200, JSON.stringify(undrained.body));
    assert.equal(undrained.body.status, 'ready');
    // Node 1: 10 slots, 2 used; node 2: 4 slots, 1 used: the next session goes to node 1.
    const placed = await createSessionOnSomeNode(stack);
    sessions.push(placed.session);
    assert.equal(placed.nodeId, first);
    const instance = await createInstance(stack, placed.session.id);
    assert.equal(await nodeOfInstance(stack, instance.id), first);
  });

  it('refuses the nodes API without the admin token', async () => {
    assert.equal((await stack.api('GET', '/api/v1/nodes')).status, 401);
    assert.equal((await stack.api('POST', `/api/v1/nodes/${first}/drain`, {})).status, 401);
    assert.equal((await listNodes(stack)).get(first)?.status, 'ready');
  });

  it('leaves no container, network or volume behind once the sessions end', async () => {
    for (const session of sessions) assert.equal((await stack.api('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
