import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { UsedOfLimit } from '@playground/contracts';
import type { CpuReadMode } from './cpu-usage.ts';

// Reads how much memory an instance's container holds, the way `docker stats` counts it: the
// cgroup's usage less the inactive file cache (pages the kernel drops before it would kill
// anything), so a learner who wrote a big file does not see a full meter. As for CPU time,
// the container's own cgroup files on the host are the cheap way; the engine's stats API
// answers where they are not visible. The inner engine's containers sit in child cgroups of
// the instance's, and the counters include them.

/** A cgroup layout: its usage, stat and limit files, and the stat line of the inactive file cache. */
interface Layout {
  dir: (containerId: string) => string;
  usage: string;
  limit: string;
  inactiveFile: string;
}

const LAYOUTS: Layout[] = [
  // cgroup v1, cgroupfs driver
  { dir: (id) => `/sys/fs/cgroup/memory/docker/${id}`, usage: 'memory.usage_in_bytes', limit: 'memory.limit_in_bytes', inactiveFile: 'total_inactive_file' },
  // cgroup v2, cgroupfs driver; then systemd driver
  { dir: (id) => `/sys/fs/cgroup/docker/${id}`, usage: 'memory.current', limit: 'memory.max', inactiveFile: 'inactive_file' },
  { dir: (id) => `/sys/fs/cgroup/system.slice/docker-${id}.scope`, usage: 'memory.current', limit: 'memory.max', inactiveFile: 'inactive_file' },
];

/** cgroup v1 says "no limit" with a huge number (a page-rounded LONG_MAX), v2 with "max". */
const NO_LIMIT_ABOVE = 2 ** 60;

function statValue(stat: string, key: string): number {
  const line = stat.split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.slice(key.length + 1)) : 0;
}

function limitValue(text: string): number | null {
  const value = Number(text.trim());
  return Number.isFinite(value) && value > 0 && value < NO_LIMIT_ABOVE ? value : null;
}

export class MemoryUsageReader {
  /** Which layout answered for each container, so later reads go straight to it. */
  private readonly layouts = new Map<string, Layout>();

  constructor(
    private readonly docker: Docker,
    private readonly mode: CpuReadMode = 'auto',
  ) {}

  async read(containerId: string): Promise<UsedOfLimit> {
    if (this.mode !== 'stats') {
      try {
        return await this.fromCgroup(containerId);
      } catch (err) {
        if (this.mode === 'cgroup') throw err;
      }
    }
    return this.fromStats(containerId);
  }

  forget(containerId: string): void {
    this.layouts.delete(containerId);
  }

  private async fromCgroup(containerId: string): Promise<UsedOfLimit> {
    const known = this.layouts.get(containerId);
    let lastError: unknown;
    for (const layout of known ? [known] : LAYOUTS) {
      const dir = layout.dir(containerId);
      try {
        const [usage, stat, limit] = await Promise.all([
          readFile(`${dir}/${layout.usage}`, 'utf8'),
          readFile(`${dir}/memory.stat`, 'utf8'),
          readFile(`${dir}/${layout.limit}`, 'utf8'),
        ]);
        const total = Number(usage.trim());
        if (!Number.isFinite(total)) throw new Error(`unreadable memory counter in ${dir}`);
        this.layouts.set(containerId, layout);
        return { used: Math.max(0, total - statValue(stat, layout.inactiveFile)), limit: limitValue(limit) };
      } catch (err) {
        lastError = err;
      }
    }
    this.layouts.delete(containerId);
    throw lastError;
  }

  private async fromStats(containerId: string): Promise<UsedOfLimit> {
    const stats = (await this.docker.getContainer(containerId).stats({ stream: false })) as unknown as {
      memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
    };
    const memory = stats.memory_stats;
    if (typeof memory?.usage !== 'number') throw new Error(`no memory figures in the stats of container ${containerId}`);
    const inactive = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0;
    return { used: Math.max(0, memory.usage - inactive), limit: memory.limit ? limitValue(String(memory.limit)) : null };
  }
}
