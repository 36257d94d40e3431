import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { InstanceView, SessionView, TerminalExitInfo } from '@playground/contracts';
import { collectOutput, handshake, openTerminal } from './support/terminal.ts';
import { eventually } from './support/eventually.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// Abuse answered with a reason, across the real orchestrator, agent and Docker engine: a
// learner burns their instance's CPU quota from its terminal; the terminal and the API warn,
// then the instance is stopped with the reason, its slot freed, and the audit log has it.
// Short policy (warn at 6 s, stop at 12 s) and half a core, so the burn fills its quota even
// on a shared 2-core host.

describe('a sustained full-CPU burn is warned, then stopped with the reason', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack('cpuabuse', {
      env: {
        INSTANCE_CPUS: '0.5',
        MAX_INSTANCES_PER_SESSION: '1',
        CPU_ABUSE_THRESHOLD: '0.8',
        CPU_ABUSE_WARN_MINUTES: '0.1',
        CPU_ABUSE_STOP_MINUTES: '0.2',
        CPU_ABUSE_SAMPLE_INTERVAL_MS: '1000',
        WARM_POOL_SIZE: '0',
      },
    });
  });
  after(async () => stack?.teardown());

  it('warns in the terminal and the session view, then stops the instance, says why and frees its slot', async () => {
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    assert.equal(session.status, 201);
    const sessionId = session.body.id;
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const instanceId = created.body.id;
    assert.equal(created.body.warning, null);

    const terminal = openTerminal(stack, { sessionId, instanceId });
    const output = collectOutput(terminal);
    const exits: TerminalExitInfo[] = [];
    terminal.on('exit', (info: TerminalExitInfo) => exits.push(info));
    assert.equal(await handshake(terminal), 'connected');
    await eventually(async () => output.text().includes('root@node1'), { timeoutMs: 30_000, description: 'the first prompt' });
    terminal.emit('input', 'while :; do :; done\r');

    const view = async () => (await stack.api<SessionView>('GET', `/api/v1/sessions/${sessionId}`)).body.instances.find((i) => i.id === instanceId);
    const warned = await eventually(async () => ((await view())?.warning ? view() : undefined), { timeoutMs: 40_000, description: 'the warning in the session view' });
    assert.equal(warned?.status, 'running');
    assert.equal(warned?.warning, 'This instance has used its full CPU for 6 seconds; it will be stopped at 12 seconds.');
    assert.match(output.text(), /\[playground\] This instance has used its full CPU for 6 seconds; it will be stopped at 12 seconds\./);

    const stopped = await eventually(async () => {
      const v = await view();
      return v?.status === 'lost' ? v : undefined;
    }, { timeoutMs: 40_000, description: 'the instance stopped' });
    assert.equal(stopped.reason, 'stopped: sustained full CPU for 12 seconds');
    assert.equal(stopped.warning, null);
    await eventually(async () => exits.length > 0, { timeoutMs: 10_000, description: 'the terminal exit' });
    assert.equal(exits[0]!.reason, 'stopped: sustained full CPU for 12 seconds');
    assert.ok(!exits[0]!.retryable);
    terminal.close();

    // Its container is gone on the node, and its slot is free: a new instance fits the limit of 1.
    await eventually(async () => !(await stack.docker(stack.nodeIds[0]!, ['ps', '-aq', '--filter', `label=playground.instance=${instanceId}`])).trim(), { timeoutMs: 20_000, description: 'the container removed' });
    const next = await stack.api<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`, {});
    assert.equal(next.status, 201, JSON.stringify(next.body));

    // The operator's record: the warning and the stop, with the figures.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ type: string; sessionId: string; data: Record<string, number | string> }>(
        'SELECT type, "sessionId", data FROM "AuditEvent" WHERE "instanceId" = $1 ORDER BY id',
        [instanceId],
      );
      const types = rows.map((r) => r.type);
      assert.ok(types.indexOf('instance.cpu_warning') >= 0 && types.indexOf('instance.cpu_warning') < types.indexOf('instance.stopped_abuse'), types.join(', '));
      const stop = rows.find((r) => r.type === 'instance.stopped_abuse')!;
      assert.equal(stop.sessionId, sessionId);
      assert.equal(stop.data.message, 'stopped: sustained full CPU for 12 seconds');
      assert.equal(stop.data.cpus, 0.5);
      assert.ok(Number(stop.data.sustainedSeconds) >= 12);
      assert.ok(Number(stop.data.usage) >= 0.8);
    } finally {
      await db.end();
    }
  });
});
