import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { UsedOfLimit } from '@playground/contracts';

// Reads what an instance has written against its disk limits (disk-quota.ts), from the btrfs
// qgroups that enforce them: the root file system's subvolume (its limit counts the image's
// shared bytes too, so that is what the meter shows) and the subvolume of its inner engine's
// /var/lib/docker volume, each limited on its own. The kernel publishes every qgroup's
// `referenced` and `max_referenced` in sysfs, so a sample is four small file reads per
// instance; only finding an instance's two subvolume ids runs a command, once per container.
// Btrfs updates qgroup figures when it commits a transaction (every 30 s at most, or on sync),
// so a write shows up within that time. Where the engine is not on btrfs with quotas (or the
// agent does not run on the engine's host), disks are not measured: null.

const run = promisify(execFile);

/** A btrfs subvolume's root directory always has this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INODE = 256;

export interface DiskFigures {
  disk: UsedOfLimit | null;
  dockerData: UsedOfLimit | null;
}

interface Filesystem {
  /** sysfs directory of the file system's qgroups. */
  qgroups: string;
  dockerRoot: string;
}

interface Subvolumes {
  root: number | null;
  dockerData: number | null;
}

const NONE: DiskFigures = { disk: null, dockerData: null };

export class DiskUsageReader {
  private filesystem: Promise<Filesystem | null> | undefined;
  private readonly subvolumes = new Map<string, Promise<Subvolumes>>();

  constructor(
    private readonly docker: Docker,
    private readonly logger: Logger,
  ) {}

  /** `dockerDataPath`: the host path of the instance's /var/lib/docker volume (its inspect's Mounts). */
  async read(containerId: string, dockerDataPath: string | undefined): Promise<DiskFigures> {
    const fs = await this.detect();
    if (!fs) return NONE;
    let ids = this.subvolumes.get(containerId);
    if (!ids) {
      ids = this.findSubvolumes(fs, containerId, dockerDataPath);
      this.subvolumes.set(containerId, ids);
      ids.catch(() => this.subvolumes.delete(containerId));
    }
    const { root, dockerData } = await ids;
    const [disk, data] = await Promise.all([qgroup(fs, root), qgroup(fs, dockerData)]);
    return { disk, dockerData: data };
  }

  forget(containerId: string): void {
    this.subvolumes.delete(containerId);
  }

  /** Once per agent: is the engine's data root on btrfs with quotas on, and which file system. */
  private detect(): Promise<Filesystem | null> {
    this.filesystem ??= (async () => {
      const info = (await this.docker.info()) as { Driver?: string; DockerRootDir?: string };
      if (info.Driver !== 'btrfs' || !info.DockerRootDir) {
        this.logger.info({ driver: info.Driver }, 'usage.disk_unmeasured: instance disks are measured on btrfs with quotas only');
        return null;
      }
      try {
        const { stdout } = await run('btrfs', ['filesystem', 'show', info.DockerRootDir]);
        const uuid = /uuid:\s*([0-9a-f-]{36})/.exec(stdout)?.[1];
        if (!uuid) throw new Error('no uuid in `btrfs filesystem show`');
        const qgroups = `/sys/fs/btrfs/${uuid}/qgroups`;
        await stat(qgroups); // absent when quotas are off
        return { qgroups, dockerRoot: info.DockerRootDir };
      } catch (err) {
        this.logger.warn({ dockerRoot: info.DockerRootDir, err: String(err) }, 'usage.disk_unmeasured: the engine data root has no readable btrfs quotas');
        return null;
      }
    })();
    return this.filesystem;
  }

  private async findSubvolumes(fs: Filesystem, containerId: string, dockerDataPath: string | undefined): Promise<Subvolumes> {
    // The btrfs driver names a container's writable subvolume by its layer's mount id.
    const mountId = (await readFile(`${fs.dockerRoot}/image/btrfs/layerdb/mounts/${containerId}/mount-id`, 'utf8')).trim();
    const [root, dockerData] = await Promise.all([
      subvolumeId(`${fs.dockerRoot}/btrfs/subvolumes/${mountId}`),
      dockerDataPath ? subvolumeId(dockerDataPath) : Promise.resolve(null),
    ]);
    return { root, dockerData };
  }
}

/** The subvolume id of a directory that is a subvolume's root; null for a plain directory (no limit of its own). */
async function subvolumeId(path: string): Promise<number | null> {
  if ((await stat(path)).ino !== SUBVOLUME_ROOT_INODE) return null;
  const { stdout } = await run('btrfs', ['inspect-internal', 'rootid', path]);
  const id = Number(stdout.trim());
  if (!Number.isInteger(id) || id <= 0) throw new Error(`unreadable subvolume id of ${path}: ${stdout}`);
  return id;
}

async function qgroup(fs: Filesystem, id: number | null): Promise<UsedOfLimit | null> {
  if (id === null) return null;
  const dir = `${fs.qgroups}/0_${id}`;
  const [referenced, max] = await Promise.all([readFile(`${dir}/referenced`, 'utf8'), readFile(`${dir}/max_referenced`, 'utf8')]);
  const limit = Number(max.trim());
  return { used: Number(referenced.trim()), limit: limit > 0 ? limit : null };
}
