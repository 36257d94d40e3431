import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instanceContainerName, type SessionView } from '@playground/contracts';
import { containersOf, createSessionOnSomeNode, nodeOfInstance } from '../support/cluster.ts';
import { echoThroughTerminal } from '../support/terminal.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// The orchestrator dies (kill -9) while a node is creating an instance for a learner. After
// a restart the instance ends `running` exactly once — one container, no duplicate from a
// retried job — and its terminal connects.

describe('orchestrator killed mid-creation', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  before(async () => {
    // No warm pool: a cold create takes a few seconds, long enough to kill the orchestrator inside it.
    stack = await startTestStack('cluster-orchestrator-restart', { nodes: 2, env: { WARM_POOL_SIZE: '0' } });
  });
  after(async () => stack?.teardown());

  it('the instance ends running exactly once and its terminal connects', async () => {
    const { session, nodeId } = await createSessionOnSomeNode(stack);
    const request = stack.api('POST', `/api/v1/sessions/${session.id}/instances`, {}).catch((error: Error) => error);

    // Kill once the instance is recorded and its create job is on the node's queue.
    const instanceId = await eventually(async () => {
      const view = await stack.api<SessionView>('GET', `/api/v1/sessions/${session.id}`);
      const instance = view.body.instances?.[0];
      return instance?.status === 'creating' && instance.id;
    }, { timeoutMs: 20_000, description: 'the instance to be recorded as creating' });
    await stack.kill('orchestrator');
    const answer = await request;
    assert.ok(answer instanceof Error, `the POST cannot have answered: ${JSON.stringify(answer)}`);
    const whileDown = await containersOf(stack, instanceId);
    stack.restart('orchestrator');

    const settled = await eventually(async () => {
      const view = await stack.api<SessionView>('GET', `/api/v1/sessions/${session.id}`);
      const status = view.body.instances?.[0]?.status;
      return status && status !== 'creating' && view.body;
    }, { timeoutMs: 60_000, description: 'the instance to settle after the restart' });
    assert.equal(settled.instances.length, 1);
    assert.equal(settled.instances[0]!.status, 'running', JSON.stringify(settled.instances[0]));
    process.stdout.write(`# containers of the instance when the orchestrator died: ${JSON.stringify(whileDown)}\n`);

    // Exactly one container, on the session's node, and no other instance container there.
    assert.equal(await nodeOfInstance(stack, instanceId), nodeId);
    const all = await stack.docker(nodeId, ['ps', '-a', '--filter', `label=playground.node=${nodeId}`, '--format', '{{.Names}}']);
    assert.deepEqual(all.split('\n').filter(Boolean), [instanceContainerName(instanceId)]);
    await echoThroughTerminal(stack, session.id, instanceId);

    assert.equal((await stack.api('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
