import { InstanceId, type InstanceUsage, type InstanceUsageSample, type UsageReport, USAGE_RESOURCES } from '@playground/contracts';
import type { Redis } from 'ioredis';
import type { Instance } from './generated/prisma/client.ts';
import type { Logger } from './logger.ts';

// The one owner of instances' live usage figures (CPU, memory, disks against their limits),
// as node agents report them every few seconds. They are kept in Redis, not Postgres: they are
// the wire, not the record (a figure is worth seconds, and writing every instance's every
// sample to the database would be most of its writes), and every orchestrator replica reads
// what the one holding the node's link wrote. Each figure expires a few of its node's intervals
// after it was sent, so a stale meter disappears instead of lying. Keys name the reporting
// node: an agent can only speak of its own node's instances, and a view reads the key of the
// node that the record places the instance on.

/** Figures outlive their report by this many of the node's sampling intervals... */
const STALE_AFTER_INTERVALS = 3;
/** ...within these bounds. */
const MIN_TTL_MS = 5_000;
const MAX_TTL_MS = 5 * 60_000;

interface Stored {
  at: string;
  sample: InstanceUsageSample;
}

export class InstanceUsageStore {
  private readFailing = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** USAGE_WARN_THRESHOLD: from this fraction of a limit, the view says the instance is near it. */
    private readonly warnAt: number,
    private readonly logger: Logger,
  ) {}

  /** A node's report (validated by gateway/agent-reports.ts). */
  async record(nodeId: string, report: UsageReport): Promise<void> {
    const ttlMs = Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, report.intervalMs * STALE_AFTER_INTERVALS));
    const pipeline = this.redis.pipeline();
    for (const sample of report.instances) {
      if (!InstanceId.safeParse(sample.instanceId).success) continue;
      const stored: Stored = { at: report.at, sample };
      pipeline.set(this.key(nodeId, sample.instanceId), JSON.stringify(stored), 'PX', ttlMs);
    }
    if (pipeline.length > 0) await pipeline.exec();
  }

  /**
   * The live usage of each running instance that has fresh figures. Never fails a view: while
   * Redis does not answer, instances show no meters (said once in the log).
   */
  async read(instances: readonly Pick<Instance, 'id' | 'nodeId' | 'status'>[]): Promise<Map<string, InstanceUsage>> {
    const running = instances.filter((instance) => instance.status === 'running');
    const out = new Map<string, InstanceUsage>();
    if (running.length === 0) return out;
    let values: (string | null)[];
    try {
      values = await this.redis.mget(running.map((instance) => this.key(instance.nodeId, instance.id)));
      if (this.readFailing) this.logger.info('usage.read_recovered');
      this.readFailing = false;
    } catch (error) {
      if (!this.readFailing) this.logger.warn({ err: String(error) }, 'usage.read_failed: instances show no meters until Redis answers');
      this.readFailing = true;
      return out;
    }
    running.forEach((instance, index) => {
      const value = values[index];
      if (value) out.set(instance.id, usageView(JSON.parse(value) as Stored, this.warnAt));
    });
    return out;
  }

  private key(nodeId: string, instanceId: string): string {
    return `${this.prefix}:usage:${nodeId}:${instanceId}`;
  }
}

/** What the API shows of a stored sample: the figures, and which limits are nearly reached. */
export function usageView({ at, sample }: Stored, warnAt: number): InstanceUsage {
  const { cpu, memory, disk, dockerData } = sample;
  const figures = { memory, disk, dockerData };
  return {
    at,
    cpu,
    memory,
    disk,
    dockerData,
    warnAt,
    nearLimit: USAGE_RESOURCES.filter((name) => {
      const meter = figures[name];
      return meter !== null && meter.limit !== null && meter.limit > 0 && meter.used >= warnAt * meter.limit;
    }),
  };
}
