import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT, JOB, type AgentToOrchestrator, type InstanceView, type OrchestratorToAgent, type SessionView } from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';
import { json, startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';
import { eventually } from '../../../../test/support/eventually.ts';

// `instance.gone`, `instance.cpu_warning` and `instance.stopped` from an agent against a real orchestrator, Postgres and Redis. A small
// in-test agent client on /agent stands in for the node agent (the seam); a BullMQ worker
// answers its create jobs, held until the test lets them finish.

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent reports: instance.gone, CPU warnings and stops', () => {
  let t: TestOrchestrator;
  let nodeId: string;
  let agent: AgentClient;
  const held = new Map<string, () => void>();

  before(async () => {
    t = await startTestOrchestrator('agent-gone', { INSTANCE_CREATE_TIMEOUT_MS: '20000' });
    nodeId = await t.addNode(10);
    t.worker(nodeId, async (job) => {
      if (job.name !== JOB.createInstance) return { ok: true };
      await new Promise<void>((resolve) => held.set(job.data.instanceId, resolve));
      return { instanceId: job.data.instanceId, containerId: `c-${job.data.instanceId}`, ip: '10.7.0.2' };
    });
    agent = connect(`${t.baseUrl}/agent`, { auth: { nodeId, token: t.agentToken(nodeId) }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      agent.on('connect', () => resolve());
      agent.on('connect_error', reject);
    });
  });
  after(async () => {
    for (const release of held.values()) release();
    agent?.close();
    await t?.close();
  });

  const status = async (id: string) => (await t.app.db.instance.findUniqueOrThrow({ where: { id } })).status;

  it('a `creating` instance reported gone (agent reconciling before it made the container) stays creating and then runs; a `running` one becomes lost', async () => {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': '192.0.2.77' } }));
    const pending = t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    let instanceId = '';
    await eventually(async () => {
      const row = await t.app.db.instance.findFirst({ where: { sessionId: session.id } });
      instanceId = row?.id ?? '';
      return held.has(instanceId);
    }, { timeoutMs: 5_000, description: 'the create job to be held by the agent' });
    assert.equal(await status(instanceId), 'creating');

    // The agent's first reconcile does not know the instance yet and calls it gone.
    agent.emit('instance.gone', instanceId, 'container not found');
    // No acknowledgement exists for this event: give it ample time to (wrongly) take effect.
    await sleep(500);
    assert.equal(await status(instanceId), 'creating', 'a creating instance must not be marked lost');
    assert.equal(await t.app.db.auditEvent.count({ where: { instanceId, type: EVENT.instanceGone } }), 0);

    // Its create job decides: it completes, the instance runs.
    held.get(instanceId)!();
    const response = await pending;
    assert.equal(response.status, 201);
    const view = await json<InstanceView>(response);
    assert.equal(view.status, 'running');
    assert.equal(await status(instanceId), 'running');

    // Now running: gone means lost.
    agent.emit('instance.gone', instanceId, 'container exited (137)');
    await eventually(async () => (await status(instanceId)) === 'lost', { timeoutMs: 5_000, description: 'the instance to be lost' });
    const row = await t.app.db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    assert.equal(row.error, 'container exited (137)');
    await eventually(async () => (await t.app.db.auditEvent.count({ where: { instanceId, type: EVENT.instanceGone } })) === 1, { timeoutMs: 5_000, description: 'one instance.gone audit event' });
  });

  it('gone for an instance of another node changes nothing', async () => {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': '192.0.2.78' } }));
    const other = await t.addNode(1);
    const id = 'g'.repeat(26);
    await t.app.db.instance.create({ data: { id, sessionId: session.id, nodeId: other, hostname: 'node7', status: 'running' } });
    agent.emit('instance.gone', id, 'not mine');
    await sleep(300);
    assert.equal(await status(id), 'running');
  });

  async function runningInstance(client: string): Promise<{ sessionId: string; instanceId: string }> {
    const session = await json<SessionView>(await t.request('POST', '/api/v1/sessions', { headers: { 'x-forwarded-for': client } }));
    const pending = t.request('POST', `/api/v1/sessions/${session.id}/instances`);
    let instanceId = '';
    await eventually(async () => {
      instanceId = (await t.app.db.instance.findFirst({ where: { sessionId: session.id } }))?.id ?? '';
      return held.has(instanceId);
    }, { timeoutMs: 5_000, description: 'the create job to be held by the agent' });
    held.get(instanceId)!();
    assert.equal((await pending).status, 201);
    return { sessionId: session.id, instanceId };
  }
  const instanceView = async (sessionId: string, instanceId: string) =>
    (await json<SessionView>(await t.request('GET', `/api/v1/sessions/${sessionId}`))).instances.find((i) => i.id === instanceId)!;
  const report = (message: string) => ({ message, sustainedSeconds: 300, usage: 0.99, cpus: 1, threshold: 0.9, stopAfterSeconds: 600 });

  it('a CPU warning shows on the running instance and is withdrawn by a null report; a malformed or foreign one changes nothing', async () => {
    const { sessionId, instanceId } = await runningInstance('192.0.2.79');
    agent.emit('instance.cpu_warning', instanceId, report('This instance has used its full CPU for 5 minutes; it will be stopped at 10 minutes.'));
    await eventually(async () => (await instanceView(sessionId, instanceId)).warning !== null, { timeoutMs: 5_000, description: 'the CPU warning in the instance view' });
    assert.equal((await instanceView(sessionId, instanceId)).warning, 'This instance has used its full CPU for 5 minutes; it will be stopped at 10 minutes.');
    await eventually(async () => (await t.app.db.auditEvent.count({ where: { instanceId, type: EVENT.instanceCpuWarning } })) === 1, { timeoutMs: 5_000, description: 'one CPU warning audit event' });

    agent.emit('instance.cpu_warning', instanceId, null);
    await eventually(async () => (await instanceView(sessionId, instanceId)).warning === null, { timeoutMs: 5_000, description: 'the CPU warning to clear' });

    agent.emit('instance.cpu_warning', instanceId, { message: 42 } as never);
    const other = await t.addNode(1);
    const foreign = 'h'.repeat(26);
    await t.app.db.instance.create({ data: { id: foreign, sessionId, nodeId: other, hostname: 'node8', status: 'running' } });
    agent.emit('instance.stopped', foreign, report('stopped: sustained full CPU for 10 minutes'));
    await sleep(300);
    assert.equal((await instanceView(sessionId, instanceId)).warning, null, 'a malformed report is refused');
    assert.equal(await status(foreign), 'running', 'an agent cannot stop another node\'s instance');
  });

  it('every instance that ended says why in the session view: stopped for abuse, crashed, deleted', async () => {
    const stopped = await runningInstance('192.0.2.80');
    agent.emit('instance.stopped', stopped.instanceId, report('stopped: sustained full CPU for 10 minutes'));
    await eventually(async () => (await status(stopped.instanceId)) === 'lost', { timeoutMs: 5_000, description: 'the stopped instance to be lost' });
    const view = await instanceView(stopped.sessionId, stopped.instanceId);
    assert.equal(view.reason, 'stopped: sustained full CPU for 10 minutes');
    assert.equal(view.warning, null);
    await eventually(async () => (await t.app.db.auditEvent.count({ where: { instanceId: stopped.instanceId, type: EVENT.instanceStoppedAbuse } })) === 1, { timeoutMs: 5_000, description: 'one stopped-for-abuse audit event' });
    const audit = await t.app.db.auditEvent.findFirstOrThrow({ where: { instanceId: stopped.instanceId, type: EVENT.instanceStoppedAbuse } });
    assert.equal(audit.sessionId, stopped.sessionId);
    assert.deepEqual(audit.data, report('stopped: sustained full CPU for 10 minutes'));

    const crashed = await runningInstance('192.0.2.81');
    agent.emit('instance.gone', crashed.instanceId, 'the instance stopped (exit code 137)');
    await eventually(async () => (await status(crashed.instanceId)) === 'lost', { timeoutMs: 5_000, description: 'the crashed instance to be lost' });
    assert.equal((await instanceView(crashed.sessionId, crashed.instanceId)).reason, 'the instance stopped (exit code 137)');

    await t.app.db.instance.update({ where: { id: crashed.instanceId }, data: { status: 'deleting' } });
    assert.equal((await instanceView(crashed.sessionId, crashed.instanceId)).reason, 'deleted');
  });

  it("usage reports show as the running instance's usage, with the limits nearly reached; foreign, malformed and stale ones do not", async () => {
    const { sessionId, instanceId } = await runningInstance('192.0.2.82');
    assert.equal((await instanceView(sessionId, instanceId)).usage, null, 'no figures before the first report');
    const GiB = 1024 ** 3;
    const sample = {
      instanceId,
      cpu: { used: 0.42, limit: 1 },
      memory: { used: 0.5 * GiB, limit: GiB },
      disk: { used: 0.9 * GiB, limit: GiB },
      dockerData: { used: 0.1 * GiB, limit: GiB },
    };
    const at = new Date().toISOString();
    agent.emit('instance.usage', { at, intervalMs: 1000, instances: [sample] });
    await eventually(async () => (await instanceView(sessionId, instanceId)).usage !== null, { timeoutMs: 5_000, description: 'the usage in the instance view' });
    // USAGE_WARN_THRESHOLD defaults to 0.85: the root disk at 90 % is near its limit, memory at 50 % is not.
    assert.deepEqual((await instanceView(sessionId, instanceId)).usage, {
      at,
      cpu: sample.cpu,
      memory: sample.memory,
      disk: sample.disk,
      dockerData: sample.dockerData,
      warnAt: 0.85,
      nearLimit: ['disk'],
    });

    // Another node's instance cannot be spoken of; a malformed report changes nothing.
    const other = await t.addNode(1);
    const foreign = 'k'.repeat(26);
    await t.app.db.instance.create({ data: { id: foreign, sessionId, nodeId: other, hostname: 'node9', status: 'running' } });
    agent.emit('instance.usage', { at, intervalMs: 1000, instances: [{ ...sample, instanceId: foreign }] });
    agent.emit('instance.usage', { at, intervalMs: 1000, instances: [{ ...sample, memory: { used: -1, limit: GiB } }] } as never);
    await sleep(300);
    assert.equal((await instanceView(sessionId, foreign)).usage, null, "an agent's figures never show on another node's instance");
    assert.equal((await instanceView(sessionId, instanceId)).usage?.memory.used, 0.5 * GiB, 'a malformed report is refused');

    // Figures expire a few of the node's intervals after they were sent (at least 5 s): a stale meter disappears.
    await eventually(async () => (await instanceView(sessionId, instanceId)).usage === null, { timeoutMs: 10_000, description: 'the figures to expire' });
  });
});
