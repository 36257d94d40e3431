import { chown, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

// Hands an instance's own cgroup directories to its root user, so that the Docker engine
// inside (running in a user namespace) can create child cgroups for its containers. Only the
// directories change owner, never the files in them: the instance's limits (pids.max,
// memory.limit_in_bytes, cpu.cfs_quota_us, devices.allow…) stay owned by host root, and every
// child the inner engine makes is bounded by them (cgroup limits are hierarchical). This is
// how cgroup v1 delegation is done for unprivileged containers (LXC, Sysbox).
//
// It runs on the node's host (the agent must see the host's /proc and /sys/fs/cgroup), right
// after the instance starts and before its inner engine can start a container.

export class CgroupDelegationError extends Error {
  readonly code = 'cgroup_delegation_failed';
}

export interface CgroupDelegationPaths {
  /** Host's /proc (tests may point elsewhere). */
  proc: string;
  /** Host's cgroup mount root. */
  cgroupRoot: string;
}

const HOST_PATHS: CgroupDelegationPaths = { proc: '/proc', cgroupRoot: '/sys/fs/cgroup' };

/** Host uid/gid that a process's uid/gid 0 maps to (from /proc/<pid>/uid_map, gid_map). */
export function rootMapping(map: string): number | undefined {
  for (const line of map.split('\n')) {
    const [inside, outside] = line.trim().split(/\s+/).map(Number);
    if (inside === 0 && Number.isInteger(outside)) return outside;
  }
  return undefined;
}

/**
 * The host directories of a process's cgroups, from /proc/<pid>/cgroup lines such as
 * `4:memory:/docker/<id>` (v1: one mount per controller set) or `0::/docker/<id>` (v2).
 */
export function cgroupDirectories(procCgroup: string, cgroupRoot: string, mounts: ReadonlySet<string>): string[] {
  const dirs: string[] = [];
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    const [, controllers, cgroupPath] = match as unknown as [string, string, string];
    // v1 mounts are named after their controllers (name=systemd is mounted at systemd); v2's
    // unified hierarchy sits at `unified` on a hybrid host and at the root on a pure v2 host.
    const mount = controllers === '' ? (mounts.has('unified') ? 'unified' : '') : controllers.replace(/^name=/, '');
    if (mount !== '' && !mounts.has(mount)) continue;
    if (cgroupPath === '/') continue; // never hand out a root cgroup
    dirs.push(path.join(cgroupRoot, mount, cgroupPath));
  }
  return dirs;
}

/**
 * Gives the instance whose init process is `pid` its cgroup directories. A no-op for a
 * process outside a user namespace (its root is host root already). Throws when the host's
 * /proc is not visible: the mode cannot work then, and the instance must not be handed out.
 */
export async function delegateCgroups(pid: number, paths: CgroupDelegationPaths = HOST_PATHS): Promise<{ uid: number; directories: string[] }> {
  let uidMap: string;
  let gidMap: string;
  let cgroups: string;
  try {
    [uidMap, gidMap, cgroups] = await Promise.all([
      readFile(`${paths.proc}/${pid}/uid_map`, 'utf8'),
      readFile(`${paths.proc}/${pid}/gid_map`, 'utf8'),
      readFile(`${paths.proc}/${pid}/cgroup`, 'utf8'),
    ]);
  } catch (err) {
    throw new CgroupDelegationError(`cannot read the instance's process ${pid} under ${paths.proc} (is the agent on the engine's host?)`, { cause: err });
  }
  const uid = rootMapping(uidMap);
  const gid = rootMapping(gidMap);
  if (uid === undefined || gid === undefined) throw new CgroupDelegationError(`process ${pid} has no mapping for root in its user namespace`);
  if (uid === 0) return { uid, directories: [] };
  const mounts = new Set(await readdir(paths.cgroupRoot));
  const directories = cgroupDirectories(cgroups, paths.cgroupRoot, mounts);
  for (const dir of directories) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue; // a controller this host does not mount
    await chown(dir, uid, gid);
  }
  return { uid, directories };
}
