import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionView } from '@playground/contracts';
import { assertNoCapacity, createInstance, createSessionOnSomeNode, listNodes, nodeOfInstance } from '../support/cluster.ts';
import { echoThroughTerminal } from '../support/terminal.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// Two node agents, each with its own Docker engine on this machine, room for one instance
// each: sessions spread over both, and the cluster says plainly when it is full.

describe('placement across two nodes', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  const sessions: Array<{ session: SessionView; nodeId: string }> = [];
  before(async () => {
    stack = await startTestStack('cluster-placement', { nodes: 2, capacity: 1 });
  });
  after(async () => stack?.teardown());

  it('puts two sessions on different nodes, each instance on its own node engine', async () => {
    sessions.push(await createSessionOnSomeNode(stack), await createSessionOnSomeNode(stack));
    assert.notEqual(sessions[0]!.nodeId, sessions[1]!.nodeId, 'the second session should go to the emptier node');

    const instances = await Promise.all(sessions.map(({ session }) => createInstance(stack, session.id)));
    for (const [index, instance] of instances.entries()) {
      assert.equal(await nodeOfInstance(stack, instance.id), sessions[index]!.nodeId, 'the instance runs on its session node');
      await echoThroughTerminal(stack, sessions[index]!.session.id, instance.id);
    }
    const nodes = await listNodes(stack);
    for (const nodeId of stack.nodeIds) {
      assert.deepEqual(nodes.get(nodeId)?.usage, { instances: 1, sessions: 1 }, `usage of ${nodeId}`);
      assert.equal(nodes.get(nodeId)?.capacity.instances, 1);
      assert.equal(nodes.get(nodeId)?.status, 'ready');
    }
  });

  it('answers 503 no_capacity with Retry-After when every node is full', async () => {
    const third = await stack.api('POST', `/api/v1/sessions/${sessions[0]!.session.id}/instances`, {});
    assertNoCapacity(third, 'a second instance on a full node');

    const session = await stack.api('POST', '/api/v1/sessions', {});
    assertNoCapacity(session, 'a new session on a full cluster');

    // Nothing was made for the refused instance.
    const nodes = await listNodes(stack);
    assert.deepEqual([...nodes.values()].map((node) => node.usage.instances), [1, 1]);
  });

  it('leaves no container, network or volume behind once the sessions end', async () => {
    for (const { session } of sessions) assert.equal((await stack.api('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
