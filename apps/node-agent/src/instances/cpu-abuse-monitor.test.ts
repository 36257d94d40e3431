import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId, type CpuAbuseReport } from '@playground/contracts';
import { removeNodeResources, requireDocker, testLogger, TEST_LIMITS, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { CpuAbuseMonitor } from './cpu-abuse-monitor.ts';
import { CpuUsageReader } from './cpu-usage.ts';
import type { DockerInstanceProvisioner } from './docker-instance-provisioner.ts';
import { execCollect } from './exec-collect.ts';
import { isDockerNotFound } from '../errors.ts';

// A real instance burning its CPU quota under short thresholds (warn at 5 s, stop at 10 s);
// a quiet one beside it must be left alone. Half a core each, so the burn reaches its quota
// even on a 2-core host shared with other tests.

const nodeId = uniqueNodeId();
const sessionId = newSessionId();
const burner = newInstanceId();
const quiet = newInstanceId();
const limits = { ...TEST_LIMITS, cpus: 0.5 };

let docker: Docker;
let provisioner: DockerInstanceProvisioner;

before(async () => {
  docker = await requireDocker();
  provisioner = testProvisioner(docker, nodeId);
  await provisioner.createInstance({ sessionId, instanceId: burner, hostname: 'node1', limits });
  await provisioner.createInstance({ sessionId, instanceId: quiet, hostname: 'node2', limits });
});

after(async () => {
  if (docker) await removeNodeResources(docker, nodeId);
});

test('the cgroup counter and the stats API agree on an instance CPU time', async () => {
  const containerId = (await docker.getContainer(instanceContainerName(quiet)).inspect()).Id;
  const fromCgroup = await new CpuUsageReader(docker, 'cgroup').read(containerId);
  const fromStats = await new CpuUsageReader(docker, 'stats').read(containerId);
  assert.ok(fromCgroup > 0, 'the instance has used some CPU (its engine started)');
  // Read a moment apart; an idle instance uses far less than a second of CPU in between.
  assert.ok(Math.abs(fromStats - fromCgroup) < 1e9, `cgroup ${fromCgroup} ns vs stats ${fromStats} ns`);
});

test('a CPU burn at the full quota is warned at 5 s and stopped at 10 s with the reason; the instance is removed', async () => {
  const events: { kind: 'warning' | 'stop'; instanceId: string; report: CpuAbuseReport | null; at: number }[] = [];
  const monitor = new CpuAbuseMonitor({
    docker,
    listInstances: () => provisioner.listInstances(),
    deleteInstance: (job) => provisioner.deleteInstance(job),
    policy: { threshold: 0.8, warnAfterMs: 5000, stopAfterMs: 10_000 },
    intervalMs: 500,
    onWarning: (instanceId, report) => events.push({ kind: 'warning', instanceId, report, at: Date.now() }),
    onStop: (instanceId, report) => events.push({ kind: 'stop', instanceId, report, at: Date.now() }),
    logger: testLogger,
    readMode: 'cgroup',
  });
  const container = docker.getContainer(instanceContainerName(burner));
  const started = Date.now();
  await execCollect(container, ['sh', '-c', 'nohup sh -c "while :; do :; done" >/dev/null 2>&1 &'], 10_000);
  monitor.start();
  try {
    await eventually(() => events.some((e) => e.kind === 'stop'), { timeoutMs: 40_000, description: 'the stop', intervalMs: 100 });
    const warning = events.find((e) => e.kind === 'warning');
    const stop = events.find((e) => e.kind === 'stop')!;
    assert.equal(warning?.instanceId, burner, 'the warning came first, for the burner');
    assert.equal(warning.report?.message, 'This instance has used its full CPU for 5 seconds; it will be stopped at 10 seconds.');
    assert.ok(warning.at - started >= 5000, 'not warned before 5 s of burning');
    assert.ok(warning.at < stop.at);
    assert.equal(stop.instanceId, burner);
    assert.equal(stop.report?.message, 'stopped: sustained full CPU for 10 seconds');
    assert.ok(stop.report!.sustainedSeconds >= 10);
    assert.ok(stop.report!.usage >= 0.8, `usage ${stop.report!.usage} of a ${stop.report!.cpus}-core quota`);
    assert.equal(stop.report!.cpus, 0.5);
    assert.ok(!events.some((e) => e.instanceId === quiet), 'the quiet instance was left alone');

    // Stopped means gone: the container is removed, its slot free, and it is no longer watched.
    await eventually(async () => {
      try {
        await container.inspect();
        return false;
      } catch (err) {
        return isDockerNotFound(err);
      }
    }, { timeoutMs: 15_000, description: 'the burner removed' });
    assert.deepEqual((await provisioner.listInstances()).map((i) => i.instanceId), [quiet]);
    await monitor.sampleOnce();
    assert.deepEqual(monitor.watching(), [quiet]);
  } finally {
    monitor.stop();
  }
  assert.deepEqual(monitor.watching(), [], 'stop() lets go of every instance');
});
