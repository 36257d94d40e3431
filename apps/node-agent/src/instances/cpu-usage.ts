import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';

// Reads how much CPU time an instance's container has used, in nanoseconds. The cheap way is
// the container's own cgroup file on the host (the agent runs as root beside the engine); where
// the host's cgroup tree is not visible (agent in a container, another cgroup driver) the
// engine's stats API answers instead, at the cost of a request per sample. The inner engine's
// containers live in child cgroups of the instance's, and the counters include them.

export type CpuReadMode = 'auto' | 'cgroup' | 'stats';

/** cgroup v1 (cgroupfs driver), cgroup v2 (cgroupfs driver), cgroup v2 (systemd driver). */
function cgroupFiles(containerId: string): { path: string; parse: (text: string) => number }[] {
  const v2 = (text: string) => {
    const line = text.split('\n').find((l) => l.startsWith('usage_usec '));
    if (!line) throw new Error('cpu.stat has no usage_usec');
    return Number(line.slice('usage_usec '.length)) * 1000;
  };
  return [
    { path: `/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`, parse: (text) => Number(text.trim()) },
    { path: `/sys/fs/cgroup/docker/${containerId}/cpu.stat`, parse: v2 },
    { path: `/sys/fs/cgroup/system.slice/docker-${containerId}.scope/cpu.stat`, parse: v2 },
  ];
}

export class CpuUsageReader {
  /** Which cgroup file answered for each container, so later reads go straight to it. */
  private readonly files = new Map<string, number>();

  constructor(
    private readonly docker: Docker,
    private readonly mode: CpuReadMode = 'auto',
  ) {}

  async read(containerId: string): Promise<number> {
    if (this.mode !== 'stats') {
      try {
        return await this.fromCgroup(containerId);
      } catch (err) {
        if (this.mode === 'cgroup') throw err;
      }
    }
    const stats = (await this.docker.getContainer(containerId).stats({ stream: false })) as unknown as {
      cpu_stats?: { cpu_usage?: { total_usage?: number } };
    };
    const total = stats.cpu_stats?.cpu_usage?.total_usage;
    if (typeof total !== 'number') throw new Error(`no CPU figures in the stats of container ${containerId}`);
    return total;
  }

  /** Forgets a container that is gone. */
  forget(containerId: string): void {
    this.files.delete(containerId);
  }

  private async fromCgroup(containerId: string): Promise<number> {
    const candidates = cgroupFiles(containerId);
    const known = this.files.get(containerId);
    const order = known === undefined ? candidates.map((_, i) => i) : [known];
    let lastError: unknown;
    for (const i of order) {
      try {
        const value = candidates[i]!.parse(await readFile(candidates[i]!.path, 'utf8'));
        if (!Number.isFinite(value)) throw new Error(`unreadable CPU counter in ${candidates[i]!.path}`);
        this.files.set(containerId, i);
        return value;
      } catch (err) {
        lastError = err;
      }
    }
    this.files.delete(containerId);
    throw lastError;
  }
}

/**
 * The CPU an instance can actually use, in cores: its container's limit, capped by the host's
 * cores (a 4-CPU limit on a 2-core host can never be "full"); the host's cores when it has none.
 */
export function cpuQuotaCores(hostConfig: Docker.HostConfig | undefined, hostCores: number): number {
  let quota = hostCores;
  if (hostConfig?.NanoCpus) quota = hostConfig.NanoCpus / 1e9;
  else if (hostConfig?.CpuQuota && hostConfig.CpuQuota > 0) quota = hostConfig.CpuQuota / (hostConfig.CpuPeriod || 100_000);
  return Math.min(quota, hostCores);
}
