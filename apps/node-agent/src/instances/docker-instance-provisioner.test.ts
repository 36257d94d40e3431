import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import {
  instanceContainerName,
  instanceVolumeName,
  newInstanceId,
  newSessionId,
  sessionNetworkName,
  type CreateInstanceJob,
} from '@playground/contracts';
import { removeNodeResources, requireDocker, TEST_IMAGE, testLogger, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import type { DockerInstanceProvisioner } from './docker-instance-provisioner.ts';
import { execCollect } from './exec-collect.ts';
import { InstanceWatcher } from './instance-watcher.ts';
import { SHARED_ENGINE_DIR, SharedEngine, sharedEngineVolumeName } from './shared-engine.ts';

const nodeId = uniqueNodeId();
const MiB = 1024 * 1024;
const limits = { cpus: 0.5, memoryBytes: 384 * MiB, pids: 512 };
const sessionA = newSessionId();
const sessionB = newSessionId();
const a1: CreateInstanceJob = { sessionId: sessionA, instanceId: newInstanceId(), hostname: 'node1', limits };
const a2: CreateInstanceJob = { sessionId: sessionA, instanceId: newInstanceId(), hostname: 'node2', limits };
const b1: CreateInstanceJob = { sessionId: sessionB, instanceId: newInstanceId(), hostname: 'node1', limits };

let docker: Docker;
let provisioner: DockerInstanceProvisioner;
let watcher: InstanceWatcher;
const gone: { instanceId: string; reason: string }[] = [];

const sh = (job: CreateInstanceJob, script: string) =>
  execCollect(docker.getContainer(instanceContainerName(job.instanceId)), ['sh', '-c', script], 20000);

async function exists(kind: 'container' | 'volume' | 'network', name: string): Promise<boolean> {
  const obj = kind === 'container' ? docker.getContainer(name) : kind === 'volume' ? docker.getVolume(name) : docker.getNetwork(name);
  try {
    await obj.inspect();
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  docker = await requireDocker();
  provisioner = testProvisioner(docker, nodeId);
  watcher = new InstanceWatcher({
    docker,
    nodeId,
    isExpectedStop: (id) => provisioner.isExpectedStop(id),
    onGone: (instanceId, reason) => gone.push({ instanceId, reason }),
    logger: testLogger,
  });
  await watcher.start();
});

after(async () => {
  watcher?.stop();
  if (docker) await removeNodeResources(docker, nodeId);
});

test('creates three instances whose inner engines answer, with hostname, labels and limits', async () => {
  const results = await Promise.all([a1, a2, b1].map((job) => provisioner.createInstance(job)));
  for (const [i, job] of [a1, a2, b1].entries()) {
    const result = results[i]!;
    assert.equal(result.instanceId, job.instanceId);
    assert.match(result.ip, /^\d+\.\d+\.\d+\.\d+$/);
    const version = await sh(job, 'docker version --format "{{.Server.Version}}"');
    assert.equal(version.exitCode, 0, version.stderr);
    assert.equal((await sh(job, 'hostname')).stdout.trim(), job.hostname);
  }
  const info = await docker.getContainer(instanceContainerName(a1.instanceId)).inspect();
  assert.equal(info.Config.Labels['playground.instance'], a1.instanceId);
  assert.equal(info.Config.Labels['playground.session'], sessionA);
  assert.equal(info.Config.Labels['playground.node'], nodeId);
  assert.equal(info.Config.Labels['playground.hostname'], 'node1');
  assert.ok(info.Config.Env.includes('MIRROR_PORT=5000'));
  assert.equal(info.HostConfig.Privileged, false);

  // Limits as the instance sees them in its own cgroup (v1 on this host, v2 elsewhere).
  const mem = await sh(a1, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max');
  assert.equal(mem.stdout.trim(), String(limits.memoryBytes));
  const pids = await sh(a1, 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max');
  assert.equal(pids.stdout.trim(), String(limits.pids));
  const cpu = await sh(a1, 'q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null) && p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) && echo "$q $p" || cat /sys/fs/cgroup/cpu.max');
  const [quota, period] = cpu.stdout.trim().split(/\s+/).map(Number);
  assert.equal(quota! / period!, limits.cpus);
});

test("the host's Docker socket and paths are not inside an instance", async () => {
  const info = await docker.getContainer(instanceContainerName(a1.instanceId)).inspect();
  const image = await docker.getImage(info.Image).inspect();
  assert.deepEqual(info.HostConfig.Binds ?? [], []);
  assert.deepEqual(
    info.Mounts.map((m) => ({ type: m.Type, dest: m.Destination, name: m.Name, rw: m.RW })).sort((x, y) => x.dest.localeCompare(y.dest)),
    [
      { type: 'volume', dest: SHARED_ENGINE_DIR, name: sharedEngineVolumeName(image.Id), rw: false },
      { type: 'volume', dest: '/var/lib/docker', name: instanceVolumeName(a1.instanceId), rw: true },
    ],
  );
  const mounts = await sh(a1, 'grep -c docker.sock /proc/self/mountinfo || true');
  assert.equal(mounts.stdout.trim(), '0');
  // The engine answering inside is the instance's own, not the host's.
  const hostEngine = (await docker.info()) as { ID: string };
  const innerId = (await sh(a1, 'docker info --format "{{.ID}}"')).stdout.trim();
  assert.ok(innerId.length > 0);
  assert.notEqual(innerId, hostEngine.ID);
});

test('instances of different sessions run their engine from one read-only copy that root in an instance cannot change', async () => {
  const engine = `${SHARED_ENGINE_DIR}/bin`;
  for (const job of [a1, b1]) {
    assert.equal((await sh(job, 'readlink /proc/$(pidof dockerd)/exe')).stdout.trim(), `${engine}/dockerd`);
    assert.equal((await sh(job, 'readlink /proc/$(pidof containerd)/exe')).stdout.trim(), `${engine}/containerd`);
  }
  const fingerprint = `stat -c '%d:%i' ${engine}/dockerd && sha256sum ${engine}/* | sha256sum`;
  const before = (await sh(b1, fingerprint)).stdout;
  assert.equal((await sh(a1, fingerprint)).stdout, before, 'the same files in both instances');

  // Root in a1 makes its mount writable again if it can, then tries to change what b1 runs.
  const attempts = [
    `echo x >> ${engine}/dockerd`,
    `cp /bin/true ${engine}/runc`,
    `rm -f ${engine}/containerd`,
    `mv ${engine} ${SHARED_ENGINE_DIR}/moved`,
    `chmod 0777 ${engine}`,
    `touch ${SHARED_ENGINE_DIR}/planted`,
  ];
  const tried = await sh(a1, `mount -o remount,rw,bind ${SHARED_ENGINE_DIR} 2>/dev/null; for try in ${attempts.map((a) => `'${a}'`).join(' ')}; do sh -c "$try" 2>/dev/null && echo "allowed: $try"; done; stat -c '%u %a' ${engine}/dockerd`);
  assert.equal(tried.stdout.trim(), '65534 755', 'every attempt refused; the files belong to the host, not to root in the instance');
  assert.equal((await sh(b1, fingerprint)).stdout, before);
  assert.equal((await sh(b1, 'docker version --format "{{.Server.Version}}"')).exitCode, 0);
});

test('making the shared copy leaves no volume behind but the copy itself', async () => {
  // The instance image declares /var/lib/docker a volume; a container made from it without a
  // mount there gets an anonymous one, which outlives it unless removed with it.
  const since = Math.floor(Date.now() / 1000) - 1;
  const mount = await new SharedEngine(docker, TEST_IMAGE, testLogger).mount();
  assert.ok(mount, 'the copy was made');
  const until = Math.ceil(Date.now() / 1000) + 1;
  const events = await docker.getEvents({ since, until, filters: { type: ['volume'], event: ['create'] } });
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    events.on('data', (chunk: Buffer) => (out += chunk.toString()));
    events.on('end', () => resolve(out));
    events.on('error', reject);
  });
  const created = text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { Actor: { ID: string } }).Actor.ID);
  assert.deepEqual(created.filter((name) => /^[0-9a-f]{64}$/.test(name)), [], 'no anonymous volume was created');
});

test('instances of one session reach each other by hostname; another session cannot reach them', async () => {
  const ping = await sh(a1, 'ping -c1 -W2 node2');
  assert.equal(ping.exitCode, 0, ping.stdout + ping.stderr);
  const a2ip = (await docker.getContainer(instanceContainerName(a2.instanceId)).inspect()).NetworkSettings.Networks[sessionNetworkName(sessionA)]!.IPAddress;
  const cross = await sh(b1, `ping -c1 -W1 ${a2ip}`);
  assert.notEqual(cross.exitCode, 0, 'session B reached an instance of session A');
  const byName = await sh(b1, 'getent hosts node2');
  assert.notEqual(byName.exitCode, 0, 'session B resolved a hostname of session A');
});

test('create is idempotent: the same instance id yields the same container', async () => {
  const first = await provisioner.createInstance(a1);
  const again = await provisioner.createInstance(a1);
  assert.equal(again.containerId, first.containerId);
  assert.equal(again.ip, first.ip);
});

test('a missing image fails with a message a learner can act on, leaving nothing behind', async () => {
  const p = testProvisioner(docker, nodeId, { image: 'playground/no-such-image:latest', readyTimeoutMs: 5000 });
  const job: CreateInstanceJob = { sessionId: newSessionId(), instanceId: newInstanceId(), hostname: 'node1', limits };
  await assert.rejects(p.createInstance(job), {
    code: 'image_missing',
    message: `instance image playground/no-such-image:latest is not on node ${nodeId}; run infra/setup.sh`,
  });
  assert.equal(await exists('container', instanceContainerName(job.instanceId)), false);
  assert.equal(await exists('volume', instanceVolumeName(job.instanceId)), false);
});

test('an instance killed outside the agent is reported gone; one deleted by the agent is not', async () => {
  await docker.getContainer(instanceContainerName(b1.instanceId)).kill();
  await eventually(() => gone.find((g) => g.instanceId === b1.instanceId), { timeoutMs: 10_000, description: 'instance.gone for b1' });
  await provisioner.deleteInstance(a2);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(gone.find((g) => g.instanceId === a2.instanceId), undefined);
});

test('delete removes container and volume, and is idempotent', async () => {
  assert.equal(await exists('container', instanceContainerName(a2.instanceId)), false);
  assert.equal(await exists('volume', instanceVolumeName(a2.instanceId)), false);
  await provisioner.deleteInstance(a2); // already gone: no error
});

test('reconcile removes what is not live and reports live instances that are missing or stopped', async () => {
  const ghost = newInstanceId();
  const outcome = await provisioner.reconcile(
    { instanceIds: [a1.instanceId, b1.instanceId, ghost], sessionIds: [sessionA, sessionB] },
    { instanceIds: new Set(), sessionIds: new Set() },
  );
  assert.deepEqual(outcome.removedInstances, []);
  assert.deepEqual(
    outcome.gone.map((g) => g.instanceId).sort(),
    [b1.instanceId, ghost].sort(),
  );
  // Session B is no longer live: its (stopped) instance, volume and network go.
  const second = await provisioner.reconcile(
    { instanceIds: [a1.instanceId], sessionIds: [sessionA] },
    { instanceIds: new Set(), sessionIds: new Set() },
  );
  assert.deepEqual(second.removedInstances, [b1.instanceId]);
  assert.deepEqual(second.removedSessions, [sessionB]);
  assert.equal(await exists('container', instanceContainerName(b1.instanceId)), false);
  assert.equal(await exists('volume', instanceVolumeName(b1.instanceId)), false);
  assert.equal(await exists('network', sessionNetworkName(sessionB)), false);
  assert.equal(await exists('container', instanceContainerName(a1.instanceId)), true);
});

test('close session removes its instances, their volumes, then its network', async () => {
  await provisioner.closeSession(sessionA);
  assert.equal(await exists('container', instanceContainerName(a1.instanceId)), false);
  assert.equal(await exists('volume', instanceVolumeName(a1.instanceId)), false);
  assert.equal(await exists('network', sessionNetworkName(sessionA)), false);
  await provisioner.closeSession(sessionA); // idempotent
});
