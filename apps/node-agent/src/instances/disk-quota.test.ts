import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId, type CreateInstanceJob } from '@playground/contracts';
import { removeNodeResources, requireDocker, TEST_DOCKER_SOCKET, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { diskQuotaSupport } from './disk-quota.ts';
import type { DockerInstanceProvisioner } from './docker-instance-provisioner.ts';
import { execCollect } from './exec-collect.ts';

// A learner who fills their instance's disk gets an error inside it, and only there. Runs
// against the engine of DOCKER_HOST (default: the node's main engine), which must keep its
// data root on btrfs with quotas (infra/setup.sh) or overlay2 on XFS with prjquota.

const MiB = 1024 * 1024;
/** Small, so the test writes little: the root file system's share is this minus the image (~0.5 GB). */
const DISK_BYTES = 900 * MiB;

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

describe('disk limit per instance', { timeout: 5 * 60_000 }, () => {
  const nodeId = uniqueNodeId();
  const sessionId = newSessionId();
  const limits = { cpus: 1, memoryBytes: 512 * MiB, pids: 512 };
  const filler: CreateInstanceJob = { sessionId, instanceId: newInstanceId(), hostname: 'filler', limits };
  const neighbour: CreateInstanceJob = { sessionId, instanceId: newInstanceId(), hostname: 'neighbour', limits };
  let docker: Docker;
  let provisioner: DockerInstanceProvisioner;
  let dataRoot = '';

  const sh = (job: CreateInstanceJob, script: string) =>
    execCollect(docker.getContainer(instanceContainerName(job.instanceId)), ['bash', '-c', script], 120000);

  before(async () => {
    docker = await requireDocker();
    const info = (await docker.info()) as { Driver?: string; DriverStatus?: [string, string][]; DockerRootDir: string };
    assert.notEqual(
      diskQuotaSupport(info),
      'none',
      `the engine at ${TEST_DOCKER_SOCKET} cannot limit disks (driver ${info.Driver}): put its data root on btrfs with quotas (infra/setup.sh) and restart it, or point DOCKER_HOST at such an engine`,
    );
    dataRoot = info.DockerRootDir;
    provisioner = testProvisioner(docker, nodeId, { diskBytes: DISK_BYTES });
    await Promise.all([provisioner.createInstance(filler), provisioner.createInstance(neighbour)]);
  });

  after(async () => {
    if (docker) await removeNodeResources(docker, nodeId);
  });

  it("stops a write into the inner engine's /var/lib/docker at the limit, inside the instance only", async () => {
    const hostBefore = await freeBytes('/');
    const rootBefore = await freeBytes(dataRoot);
    const r = await sh(filler, 'dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=1200 2>&1; echo "exit $?"; sync');
    assert.match(r.stdout, /Disk quota exceeded|No space left on device/, r.stdout);
    assert.match(r.stdout, /exit 1/);
    const written = Number((await sh(filler, 'stat -c %s /var/lib/docker/fill')).stdout.trim());
    assert.ok(written <= DISK_BYTES, `wrote ${written} bytes, the limit is ${DISK_BYTES}`);
    assert.ok(written > DISK_BYTES / 2, `the write got most of the way (${written} bytes)`);
    // The node lost at most what the limit allows (the loop image grows by what was written).
    assert.ok(hostBefore - (await freeBytes('/')) < DISK_BYTES + 200 * MiB, 'the host disk did not take more than the limit');
    assert.ok(rootBefore - (await freeBytes(dataRoot)) < DISK_BYTES + 200 * MiB, "the engine's disk did not take more than the limit");
    await sh(filler, 'rm -f /var/lib/docker/fill');
  });

  it('stops a write into the root file system (/root) at the limit', async () => {
    const f = await sh(filler, 'fallocate -l 1G /root/big 2>&1; echo "exit $?"');
    assert.match(f.stdout, /Disk quota exceeded|No space left on device/, f.stdout);
    const r = await sh(filler, 'dd if=/dev/zero of=/root/fill bs=1M count=1200 2>&1; echo "exit $?"; sync');
    assert.match(r.stdout, /Disk quota exceeded|No space left on device/, r.stdout);
    const written = Number((await sh(filler, 'stat -c %s /root/fill')).stdout.trim());
    assert.ok(written < DISK_BYTES, `wrote ${written} bytes into the root file system, the limit is ${DISK_BYTES} with the image`);
  });

  it('leaves another instance unaffected while one is full', async () => {
    const r = await sh(neighbour, 'dd if=/dev/zero of=/root/ok bs=1M count=100 2>&1 && dd if=/dev/zero of=/var/lib/docker/ok bs=1M count=100 2>&1; echo "exit $?"');
    assert.match(r.stdout, /exit 0/, r.stdout);
  });
});
