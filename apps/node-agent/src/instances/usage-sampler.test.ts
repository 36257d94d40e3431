import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId, type InstanceUsageSample, type UsageReport } from '@playground/contracts';
import { removeNodeResources, requireDocker, testLogger, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { AgentMetrics } from '../metrics.ts';
import type { DockerInstanceProvisioner } from './docker-instance-provisioner.ts';
import { execCollect } from './exec-collect.ts';
import { UsageSampler } from './usage-sampler.ts';

// The figures behind the learner's meters, read from a real instance on the node's engine
// (btrfs with quotas, as infra/setup.sh makes it): each rises when the learner loads the
// instance (a CPU burn, memory held by a process, files written to / and /var/lib/docker),
// against the limits the instance was made with.

const MiB = 1024 * 1024;
const DISK_BYTES = 2048 * MiB;
const limits = { cpus: 0.5, memoryBytes: 512 * MiB, pids: 512 };

describe('usage sampler on a real instance', { timeout: 4 * 60_000 }, () => {
  const nodeId = uniqueNodeId();
  const sessionId = newSessionId();
  const instanceId = newInstanceId();
  let docker: Docker;
  let provisioner: DockerInstanceProvisioner;
  let sampler: UsageSampler;
  const reports: UsageReport[] = [];

  const sh = (script: string) => execCollect(docker.getContainer(instanceContainerName(instanceId)), ['bash', '-c', script], 120_000);
  const latest = (): InstanceUsageSample | undefined => reports.at(-1)?.instances.find((i) => i.instanceId === instanceId);
  /** The next report's figures of the instance, once `test` holds for them. */
  const until = (test: (sample: InstanceUsageSample) => boolean, description: string) =>
    eventually(async () => {
      const sample = latest();
      return sample && test(sample) ? sample : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, description });

  before(async () => {
    docker = await requireDocker();
    provisioner = testProvisioner(docker, nodeId, { diskBytes: DISK_BYTES });
    await provisioner.createInstance({ sessionId, instanceId, hostname: 'node1', limits });
    sampler = new UsageSampler({
      docker,
      listInstances: () => provisioner.listInstances(),
      intervalMs: 500,
      onReport: (report) => reports.push(report),
      logger: testLogger,
      readMode: 'cgroup',
    });
    sampler.start();
  });

  after(async () => {
    sampler?.stop();
    if (docker) await removeNodeResources(docker, nodeId);
  });

  let idle: InstanceUsageSample;

  it('reports the instance against its limits: CPU quota, memory limit, and both disk limits', async () => {
    idle = await until(() => true, 'a first report of the instance');
    assert.equal(idle.cpu.limit, 0.5);
    assert.equal(idle.memory.limit, 512 * MiB);
    assert.ok(idle.memory.used > 0 && idle.memory.used < 256 * MiB, `an idle instance holds ${idle.memory.used} bytes`);
    assert.equal(idle.disk?.limit, DISK_BYTES, 'the root file system has its limit');
    assert.ok(idle.disk!.used > 100 * MiB, 'the root file system counts the image');
    assert.equal(idle.dockerData?.limit, DISK_BYTES, "the inner engine's /var/lib/docker has its own limit");
    assert.ok(idle.dockerData!.used < idle.disk!.used);
    const report = reports.at(-1)!;
    assert.equal(report.intervalMs, 500);
    assert.ok(Math.abs(Date.parse(report.at) - Date.now()) < 60_000);
  });

  it('CPU rises under a burn, and falls when it stops', async () => {
    await sh('nohup timeout 30 sh -c "while :; do :; done" >/dev/null 2>&1 &');
    const busy = await until((s) => s.cpu.used >= 0.3, 'CPU use to reach most of the 0.5-core quota');
    assert.ok(busy.cpu.used <= 0.5, `capped at the quota: ${busy.cpu.used}`);
    await sh('pkill -f "while :; do :; done"; true');
    await until((s) => s.cpu.used < 0.2, 'CPU use to fall once the burn stopped');
  });

  it('memory rises while a process holds 200 MiB, and falls when it ends', async () => {
    // dd fills one 200 MiB buffer and holds it while `sleep` never reads the pipe.
    await sh('nohup sh -c "dd if=/dev/zero bs=200M count=1 status=none | sleep 60" >/dev/null 2>&1 &');
    const held = await until((s) => s.memory.used >= idle.memory.used + 150 * MiB, 'memory use to rise by the 200 MiB held');
    assert.ok(held.memory.used < 512 * MiB);
    await sh('pkill -x dd; true');
    await until((s) => s.memory.used < idle.memory.used + 100 * MiB, 'memory use to fall once the process ended');
  });

  it('disk use rises when files are written to / and to /var/lib/docker, each on its own meter', async () => {
    const before = latest()!;
    await sh('dd if=/dev/zero of=/root/fill bs=1M count=300 status=none && sync');
    const wrote = await until((s) => s.disk!.used >= before.disk!.used + 250 * MiB, 'the root file system to count the 300 MiB file');
    assert.ok(wrote.dockerData!.used < before.dockerData!.used + 50 * MiB, '/var/lib/docker did not change');
    await sh('dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=300 status=none && sync');
    await until((s) => s.dockerData!.used >= before.dockerData!.used + 250 * MiB, '/var/lib/docker to count its 300 MiB file');
  });

  it("serves the figures on the agent's /metrics, labelled by container, never by instance id", async () => {
    const metrics = new AgentMetrics(nodeId);
    metrics.observe({ runningInstances: async () => 1, warmReady: () => 0, terminals: () => ({ shells: 0, viewers: 0 }), instanceUsage: () => sampler.latest() });
    const text = await metrics.registry.metrics();
    const container = (await docker.getContainer(instanceContainerName(instanceId)).inspect()).Id.slice(0, 12);
    assert.match(text, new RegExp(`playground_agent_instance_memory_limit_bytes\\{[^}]*container="${container}"[^}]*\\} ${512 * MiB}`));
    assert.match(text, new RegExp(`playground_agent_instance_disk_limit_bytes\\{[^}]*container="${container}"[^}]*fs="docker"[^}]*\\} ${DISK_BYTES}`));
    assert.match(text, new RegExp(`playground_agent_instance_cpu_cores\\{[^}]*container="${container}"`));
    assert.ok(!text.includes(instanceId) && !text.includes(sessionId), 'no capability in the metrics');
  });
});
