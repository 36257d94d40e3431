import { execFile } from 'node:child_process';
import { chown, chmod, rmdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Logger } from 'pino';

// A hard limit on what an instance writes, enforced by the node's file system, so that a
// learner who fills their disk gets an error inside their instance and the node never fills.
//
// Why btrfs: the development hosts' kernel has neither XFS quotas (CONFIG_XFS_QUOTA) nor the
// quota format ext4 project quotas need (CONFIG_QFMT_V2), but btrfs qgroups are part of btrfs
// itself. infra/setup.sh puts the node engine's data root on a btrfs file system (a sparse
// image, loop-mounted, quotas enabled) with the btrfs storage driver. Then:
// - the root file system: `StorageOpt.size`, which the btrfs driver turns into a qgroup limit
//   on the container's subvolume. The limit counts REFERENCED bytes, image included (~0.5 GB);
// - the inner engine's /var/lib/docker: the volume's `_data` directory is made a subvolume of
//   its own with the same qgroup limit (the local volume driver has no size option here).
// A full disk reads "Disk quota exceeded" (EDQUOT) inside the instance. Root in a userns
// instance cannot lift it: qgroup ioctls need CAP_SYS_ADMIN in the host's user namespace.
// Overlay2 on XFS with `prjquota` (other kernels) takes the same StorageOpt; its volumes are
// not limited here.

const run = promisify(execFile);

export type DiskQuotaSupport = 'btrfs' | 'overlay2-xfs' | 'none';

/** Which per-instance limits the engine can enforce, from `docker info`. */
export function diskQuotaSupport(info: { Driver?: string; DriverStatus?: [string, string][] }): DiskQuotaSupport {
  if (info.Driver === 'btrfs') return 'btrfs';
  const backing = (info.DriverStatus ?? []).find(([k]) => k === 'Backing Filesystem')?.[1];
  if (info.Driver === 'overlay2' && backing === 'xfs') return 'overlay2-xfs';
  return 'none';
}

/** HostConfig fields that bound an instance's root file system and its container log. */
export function diskHostConfig(support: DiskQuotaSupport, diskBytes: number): Pick<Docker.HostConfig, 'StorageOpt' | 'LogConfig'> {
  return {
    // The instance's own stdout/stderr (playground-init, dockerd's errors): bounded whatever the disk.
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    ...(support !== 'none' && diskBytes > 0 ? { StorageOpt: { size: String(diskBytes) } } : {}),
  };
}

/**
 * Makes a fresh (empty) local volume a btrfs subvolume limited to `bytes`. The volume keeps
 * its owner and mode (under userns-remap, the remapped root). Docker removes it as it removes
 * any directory (a subvolume's directory can be removed with rmdir once empty).
 */
export async function limitVolume(docker: Docker, volume: string, bytes: number, log: Logger): Promise<void> {
  const info = (await docker.getVolume(volume).inspect()) as { Mountpoint: string };
  const dir = info.Mountpoint;
  const before = await stat(dir);
  const { stdout } = await run('btrfs', ['subvolume', 'show', dir]).catch(() => ({ stdout: '' }));
  if (!stdout.includes('Subvolume ID')) {
    await rmdir(dir); // fails if not empty: a volume already in use is never replaced
    await run('btrfs', ['subvolume', 'create', dir]);
    await chown(dir, before.uid, before.gid);
    await chmod(dir, before.mode & 0o7777);
  }
  await run('btrfs', ['qgroup', 'limit', String(bytes), dir]);
  log.debug({ volume, bytes }, 'instance.volume.limited');
}
