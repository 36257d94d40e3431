import os from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { CpuAbuseReport, DeleteInstanceJob } from '@playground/contracts';
import { CpuAbuseDetector, cpuStopReason, cpuWarningText, type CpuAbusePolicy } from './cpu-abuse-detector.ts';
import type { ManagedInstance } from './instance-provisioner.ts';
import { CpuUsageReader, cpuQuotaCores, type CpuReadMode } from './cpu-usage.ts';
import { RunningInstanceLoop } from './running-instance-loop.ts';

// Samples every running instance's CPU time on a timer and answers a sustained full-quota burn:
// first a warning, then the instance is stopped (removed, so its slot is free) with the reason.
// One detector per instance container, dropped as soon as the instance is no longer listed.

export interface CpuAbuseMonitorOptions {
  docker: Docker;
  listInstances: () => Promise<ManagedInstance[]>;
  /** Removes an instance, as a delete job does (terminals close, container and volume go). */
  deleteInstance: (job: DeleteInstanceJob) => Promise<void>;
  policy: CpuAbusePolicy;
  intervalMs: number;
  /** The learner should be warned (`report`), or the warning is withdrawn (null). */
  onWarning: (instanceId: string, report: CpuAbuseReport | null) => void;
  /** Called before the instance is removed, so its terminals and the record learn the reason first. */
  onStop: (instanceId: string, report: CpuAbuseReport) => void;
  logger: Logger;
  readMode?: CpuReadMode;
}

interface Watched {
  containerId: string;
  cpus: number;
  detector: CpuAbuseDetector;
}

export class CpuAbuseMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly reader: CpuUsageReader;
  private readonly loop: RunningInstanceLoop;

  constructor(private readonly opts: CpuAbuseMonitorOptions) {
    this.reader = new CpuUsageReader(opts.docker, opts.readMode);
    this.loop = new RunningInstanceLoop({
      ...opts,
      pass: async (running) => void (await Promise.all(running.map((inst) => this.sample(inst)))),
      forget: (instanceId) => this.forget(instanceId),
      failure: 'cpu.sample_failed',
    });
  }

  /** Whether the policy can act at all (both durations 0 disable the monitor). */
  get enabled(): boolean {
    return this.opts.policy.warnAfterMs > 0 || this.opts.policy.stopAfterMs > 0;
  }

  /** Instances being watched now (for tests and metrics). */
  watching(): string[] {
    return [...this.watched.keys()];
  }

  start(): void {
    if (this.enabled) this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  /** One pass over the running instances; overlapping passes are skipped. */
  sampleOnce(): Promise<void> {
    return this.loop.runOnce();
  }

  private forget(instanceId: string): void {
    const w = this.watched.get(instanceId);
    this.watched.delete(instanceId);
    if (w) this.reader.forget(w.containerId);
  }

  private async sample(inst: ManagedInstance): Promise<void> {
    try {
      let w = this.watched.get(inst.instanceId);
      if (!w || w.containerId !== inst.containerId) {
        const info = await this.opts.docker.getContainer(inst.containerId).inspect();
        const cpus = cpuQuotaCores(info.HostConfig, os.availableParallelism());
        w = { containerId: inst.containerId, cpus, detector: new CpuAbuseDetector(this.opts.policy, cpus) };
        this.watched.set(inst.instanceId, w);
      }
      const usageNs = await this.reader.read(w.containerId);
      const verdict = w.detector.add({ atMs: Date.now(), usageNs });
      if (verdict.kind === 'ok') return;
      const report = (message: string, sustainedMs: number): CpuAbuseReport => ({
        message,
        sustainedSeconds: Math.round(sustainedMs / 100) / 10,
        usage: Math.round(verdict.usage * 1000) / 1000,
        cpus: w.cpus,
        threshold: this.opts.policy.threshold,
        stopAfterSeconds: this.opts.policy.stopAfterMs / 1000,
      });
      if (verdict.kind === 'calm') {
        this.opts.logger.info({ instanceId: inst.instanceId, usage: verdict.usage }, 'instance.cpu_calm');
        this.opts.onWarning(inst.instanceId, null);
      } else if (verdict.kind === 'warn') {
        const warning = report(cpuWarningText(this.opts.policy), verdict.sustainedMs);
        this.opts.logger.warn({ instanceId: inst.instanceId, ...warning }, 'instance.cpu_warning');
        this.opts.onWarning(inst.instanceId, warning);
      } else {
        const stopped = report(cpuStopReason(this.opts.policy), verdict.sustainedMs);
        this.opts.logger.warn({ instanceId: inst.instanceId, sessionId: inst.sessionId, ...stopped }, 'instance.stopped_abuse');
        this.opts.onStop(inst.instanceId, stopped);
        this.forget(inst.instanceId);
        await this.opts.deleteInstance({ instanceId: inst.instanceId, sessionId: inst.sessionId }).catch((err) =>
          this.opts.logger.warn({ instanceId: inst.instanceId, err: String(err) }, 'instance.stop_failed'),
        );
      }
    } catch (err) {
      // Most often the instance went away between the listing and the read.
      this.opts.logger.debug({ instanceId: inst.instanceId, err: String(err) }, 'cpu.read_failed');
    }
  }
}
