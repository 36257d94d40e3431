import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JOB, jobId, newInstanceId, type SessionView } from '@playground/contracts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { SettleCreatingInstances } from './settle-creating-instances.ts';

// The orchestrator can die between recording an instance (`creating`) and adding its create
// job. The next orchestrator must send that job, not drop the instance: no command is lost.

describe('settle-creating-instances', () => {
  let t: TestOrchestrator;
  let nodeId: string;
  before(async () => {
    t = await startTestOrchestrator('settle');
    nodeId = await t.addNode();
  });
  after(async () => t?.close());

  async function recordCreating(createdAt: Date): Promise<{ sessionId: string; instanceId: string }> {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions'));
    const instanceId = newInstanceId();
    await t.app.db.instance.create({ data: { id: instanceId, sessionId: session.id, nodeId, hostname: 'node1', status: 'creating', createdAt } });
    return { sessionId: session.id, instanceId };
  }

  it('re-sends the create job of an instance whose job never reached the queue', async () => {
    const now = new Date();
    const { sessionId, instanceId } = await recordCreating(new Date(now.getTime() - 20_000));
    const task = new SettleCreatingInstances(t.app.db, t.app.queues, t.app.instances, 90_000, 1_000);
    await task.run(now);
    const job = await t.app.queues.queue(nodeId).getJob(jobId.createInstance(instanceId));
    assert.ok(job, 'the create job is on the node queue again');
    assert.equal(job.name, JOB.createInstance);
    assert.equal(job.data.sessionId, sessionId);
    assert.equal(job.data.hostname, 'node1');
    const row = await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    assert.equal(row.status, 'creating', 'the instance waits for its job, it is not failed');

    // Once the node completes it, the next sweep marks it running.
    const worker = t.worker(nodeId, async (received) => ({ instanceId: received.data.instanceId, containerId: 'c0ffee', ip: '10.9.0.2' }));
    await eventually(async () => (await job.getState()) === 'completed', { timeoutMs: 10_000, description: 'the create job completed by the node' });
    await task.run(new Date());
    assert.equal((await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } })).status, 'running');
    await worker.close();
  });

  it('fails an instance whose create budget is spent without a job', async () => {
    const now = new Date();
    const { instanceId } = await recordCreating(new Date(now.getTime() - 120_000));
    await new SettleCreatingInstances(t.app.db, t.app.queues, t.app.instances, 90_000, 1_000).run(now);
    const row = await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /did not create it in time/);
  });
});
