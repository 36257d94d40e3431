import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import type { SweepLease } from './sweep-lease.ts';
import type { ReaperTask } from './task.ts';

/**
 * Runs every task in turn, then sleeps for the interval. State lives in Postgres, so the
 * loop itself holds nothing: stopping or restarting it loses no work. With several
 * orchestrator replicas every one runs the loop, but only the holder of the sweep lease
 * sweeps (sweep-lease.ts); the others take over when it stops renewing.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private token: number | undefined;
  /** When the last renewal was asked for (monotonic ms): the lease is surely held until a third of its life later. */
  private renewedAt = 0;
  private readonly sweeps: Counter;

  constructor(
    private readonly tasks: readonly ReaperTask[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly lease: Pick<SweepLease, 'take' | 'release' | 'ttlMs'>,
    registry: Registry,
  ) {
    this.sweeps = new Counter({
      name: 'playground_reaper_sweeps_total',
      help: 'Sweeps of the reaper tasks this replica ran (one replica at a time holds the sweep lease).',
      registers: [registry],
    });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweepIfLeader().finally(() => this.schedule(this.intervalMs));
    }, delay);
  }

  private async sweepIfLeader(): Promise<void> {
    if (!(await this.holdsLease())) return;
    this.sweeps.inc();
    await this.runOnce(new Date(), () => this.stillLeader());
  }

  /** Between tasks: renewed in Redis only once a third of the lease has passed, so a sweep costs a round trip or two, not one per task. */
  private async stillLeader(): Promise<boolean> {
    if (this.token !== undefined && performance.now() - this.renewedAt < this.lease.ttlMs / 3) return true;
    return this.holdsLease();
  }

  /** Renews the lease (or takes it when free); false when another replica sweeps, or Redis cannot say. */
  private async holdsLease(): Promise<boolean> {
    try {
      // Counted from the asking, not the answer: the lease may have been renewed any time in between.
      this.renewedAt = performance.now();
      const token = await this.lease.take();
      if (token !== this.token) this.logger.info({ token }, token === undefined ? 'reaper.lease_lost' : 'reaper.lease_taken');
      this.token = token;
    } catch (error) {
      // Without Redis no replica can know who sweeps: nobody does until it is back.
      if (this.token !== undefined) this.logger.warn({ err: error }, 'reaper.lease_unknown');
      this.token = undefined;
    }
    return this.token !== undefined;
  }

  /** One sweep; `stillLeader` is asked before each task (tests drive a sweep by hand without it). */
  async runOnce(now = new Date(), stillLeader: () => Promise<boolean> = async () => true): Promise<void> {
    for (const task of this.tasks) {
      if (!(await stillLeader())) return;
      try {
        await task.run(now);
      } catch (error) {
        this.logger.warn({ err: error, task: task.name }, 'reaper.task_failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const token = this.token;
    this.token = undefined;
    if (token !== undefined) {
      await this.lease.release(token).catch((error: unknown) => this.logger.warn({ err: error }, 'reaper.lease_release_failed'));
    }
  }
}
