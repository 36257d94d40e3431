import os from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { InstanceUsageSample, UsageReport } from '@playground/contracts';
import { CpuUsageReader, cpuQuotaCores, type CpuReadMode } from './cpu-usage.ts';
import { DiskUsageReader } from './disk-usage.ts';
import type { ManagedInstance } from './instance-provisioner.ts';
import { MemoryUsageReader } from './memory-usage.ts';
import { RunningInstanceLoop } from './running-instance-loop.ts';

// Measures every running instance's CPU, memory and disks against its limits on a timer, for
// the learner's meters (one report per node and interval over the orchestrator link) and for
// the agent's /metrics. Cheap by construction: cgroup and sysfs files, no `docker stats` per
// instance; an instance's container is inspected once. CPU is a rate, so an instance is
// reported from its second sample on.

export interface UsageSamplerOptions {
  docker: Docker;
  listInstances: () => Promise<ManagedInstance[]>;
  intervalMs: number;
  onReport: (report: UsageReport) => void;
  logger: Logger;
  readMode?: CpuReadMode;
}

interface Watched {
  containerId: string;
  cpus: number;
  dockerDataPath: string | undefined;
  /** The last CPU counter read, to turn the next into a rate. */
  cpuNs?: number;
  atMs?: number;
}

/** The latest figures of one instance, with its container's short id for metrics labels. */
export interface LatestUsage extends InstanceUsageSample {
  container: string;
}

export class UsageSampler {
  private readonly watched = new Map<string, Watched>();
  private readonly cpu: CpuUsageReader;
  private readonly memory: MemoryUsageReader;
  private readonly disk: DiskUsageReader;
  private readonly loop: RunningInstanceLoop;
  private latestSamples: LatestUsage[] = [];

  constructor(private readonly opts: UsageSamplerOptions) {
    this.loop = new RunningInstanceLoop({ ...opts, pass: (running) => this.pass(running), forget: (id) => this.forget(id), failure: 'usage.sample_failed' });
    this.cpu = new CpuUsageReader(opts.docker, opts.readMode);
    this.memory = new MemoryUsageReader(opts.docker, opts.readMode);
    this.disk = new DiskUsageReader(opts.docker, opts.logger);
  }

  /** What the last pass measured (for /metrics: nothing is read at scrape time). */
  latest(): readonly LatestUsage[] {
    return this.latestSamples;
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  /** One pass over the running instances; overlapping passes are skipped. */
  sampleOnce(): Promise<void> {
    return this.loop.runOnce();
  }

  private async pass(instances: ManagedInstance[]): Promise<void> {
    const samples = (await Promise.all(instances.map((inst) => this.sample(inst)))).filter((s): s is LatestUsage => s !== undefined);
    this.latestSamples = samples;
    this.opts.onReport({
      at: new Date().toISOString(),
      intervalMs: this.opts.intervalMs,
      instances: samples.map(({ container: _container, ...sample }) => sample),
    });
  }

  private forget(instanceId: string): void {
    const w = this.watched.get(instanceId);
    if (!w) return;
    this.watched.delete(instanceId);
    this.cpu.forget(w.containerId);
    this.memory.forget(w.containerId);
    this.disk.forget(w.containerId);
  }

  private async sample(inst: ManagedInstance): Promise<LatestUsage | undefined> {
    try {
      let w = this.watched.get(inst.instanceId);
      if (!w || w.containerId !== inst.containerId) {
        this.forget(inst.instanceId);
        const info = await this.opts.docker.getContainer(inst.containerId).inspect();
        w = {
          containerId: inst.containerId,
          cpus: cpuQuotaCores(info.HostConfig, os.availableParallelism()),
          dockerDataPath: info.Mounts.find((m) => m.Destination === '/var/lib/docker')?.Source,
        };
        this.watched.set(inst.instanceId, w);
      }
      const atMs = Date.now();
      const [cpuNs, memory, disks] = await Promise.all([
        this.cpu.read(w.containerId),
        this.memory.read(w.containerId),
        this.disk.read(w.containerId, w.dockerDataPath).catch((err: unknown) => {
          // Its figures come back at the next pass; the other meters go on meanwhile.
          this.opts.logger.debug({ instanceId: inst.instanceId, err: String(err) }, 'usage.disk_read_failed');
          return { disk: null, dockerData: null };
        }),
      ]);
      const previous = w.cpuNs === undefined || w.atMs === undefined ? undefined : { cpuNs: w.cpuNs, atMs: w.atMs };
      w.cpuNs = cpuNs;
      w.atMs = atMs;
      if (!previous || atMs <= previous.atMs) return undefined;
      const cores = Math.max(0, (cpuNs - previous.cpuNs) / 1e6 / (atMs - previous.atMs));
      return {
        instanceId: inst.instanceId,
        container: w.containerId.slice(0, 12),
        cpu: { used: Math.round(Math.min(cores, w.cpus) * 1000) / 1000, limit: w.cpus },
        memory,
        ...disks,
      };
    } catch (err) {
      // Most often the instance went away between the listing and the read.
      this.opts.logger.debug({ instanceId: inst.instanceId, err: String(err) }, 'usage.read_failed');
      return undefined;
    }
  }
}
