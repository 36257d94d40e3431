import type { Logger } from '../logger.ts';
import type { ReaperTask } from './task.ts';

/**
 * Runs every task in turn, then sleeps for the interval. State lives in Postgres, so the
 * loop itself holds nothing: stopping or restarting it loses no work.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly tasks: readonly ReaperTask[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => this.schedule(this.intervalMs));
    }, delay);
  }

  async runOnce(now = new Date()): Promise<void> {
    for (const task of this.tasks) {
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
  }
}
