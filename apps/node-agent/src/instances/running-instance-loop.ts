import type { Logger } from 'pino';
import type { ManagedInstance } from './instance-provisioner.ts';

// A pass over this node's running instances now and on every interval, for the parts that
// watch them all (the CPU abuse monitor, the usage sampler). A pass still running when the
// next one is due is not overlapped; a failed pass is logged and the next one tries again.

export interface RunningInstanceLoopOptions {
  listInstances: () => Promise<ManagedInstance[]>;
  intervalMs: number;
  /** One pass, given the instances running now. */
  pass: (running: ManagedInstance[]) => Promise<void>;
  /** An instance of an earlier pass is no longer running (or the loop stopped): let go of what is kept for it. */
  forget: (instanceId: string) => void;
  logger: Logger;
  /** The log message of a failed pass, e.g. `usage.sample_failed`. */
  failure: string;
}

export class RunningInstanceLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Instances of the last pass. */
  private known = new Set<string>();

  constructor(private readonly opts: RunningInstanceLoopOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs);
    void this.runOnce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const id of this.known) this.opts.forget(id);
    this.known.clear();
  }

  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const running = (await this.opts.listInstances()).filter((i) => i.running);
      const now = new Set(running.map((i) => i.instanceId));
      for (const id of this.known) if (!now.has(id)) this.opts.forget(id);
      this.known = now;
      await this.opts.pass(running);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, this.opts.failure);
    } finally {
      this.running = false;
    }
  }
}
