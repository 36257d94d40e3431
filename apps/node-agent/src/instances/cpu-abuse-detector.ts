// Decides, from cumulative CPU-time samples of one instance, whether it has been burning its
// full CPU quota long enough to be warned or stopped (crypto mining, runaway loops). Pure: the
// monitor feeds it samples, tests feed it made-up ones.

export interface CpuAbusePolicy {
  /** Fraction of the quota an interval must reach to count as "full" (0.9: 90 %). */
  threshold: number;
  /** Sustained full use before the learner is warned; 0: never warn. */
  warnAfterMs: number;
  /** Sustained full use before the instance is stopped; 0: never stop. */
  stopAfterMs: number;
}

/** One reading of the instance's cgroup: total CPU time used so far (ns) at a time (ms). */
export interface CpuSample {
  atMs: number;
  usageNs: number;
}

/** `usage`: the average over the period judged (warn, stop) or the last interval (calm). */
export type CpuVerdict =
  | { kind: 'ok' }
  /** First crossing of the warning line in this burn. */
  | { kind: 'warn'; sustainedMs: number; usage: number }
  /** The burn that was warned about ended before the stop line (the warning is withdrawn). */
  | { kind: 'calm'; usage: number }
  | { kind: 'stop'; sustainedMs: number; usage: number };

/** Samples further apart than this do not count as one interval (the agent was paused, a restart). */
const MAX_GAP_MS = 60_000;

/**
 * Keeps the samples of the last stop period (a sliding window) and judges the instance by its
 * average use over the last warning period and the last stop period. An average, not "every
 * interval full": a miner throttled by a busy host (or sleeping a little to hide) still averages
 * near its quota, while a learner's builds and tests come with idle stretches that pull the
 * average of minutes well under it.
 */
export class CpuAbuseDetector {
  private window: CpuSample[] = [];
  private warned = false;
  private stopped = false;

  constructor(
    private readonly policy: CpuAbusePolicy,
    /** The instance's CPU quota in cores. */
    private readonly cpus: number,
  ) {}

  add(sample: CpuSample): CpuVerdict {
    const previous = this.window.at(-1);
    if (previous && sample.atMs <= previous.atMs) return { kind: 'ok' };
    // A long gap, or a counter that went backwards (a new container), starts the window over.
    if (!previous || sample.atMs - previous.atMs > MAX_GAP_MS || sample.usageNs < previous.usageNs) {
      this.window = [sample];
      return this.calm(0);
    }
    this.window.push(sample);
    const keepMs = Math.max(this.policy.warnAfterMs, this.policy.stopAfterMs);
    // Drop what lies wholly before the longest period; the sample just before it stays as its start.
    while (this.window.length > 2 && sample.atMs - this.window[1]!.atMs >= keepMs) this.window.shift();

    const usage = this.averageSince(sample, previous);
    const recent = this.over(sample, this.policy.warnAfterMs);
    const long = this.over(sample, this.policy.stopAfterMs);
    if (this.stopped) return { kind: 'ok' };
    const hot = (this.policy.warnAfterMs > 0 ? recent : long) ?? undefined;
    if (!hot || hot.usage < this.policy.threshold) return this.calm(usage);
    if (this.policy.warnAfterMs > 0 && !this.warned) {
      this.warned = true;
      return { kind: 'warn', sustainedMs: hot.spanMs, usage: hot.usage };
    }
    if (this.policy.stopAfterMs > 0 && long && long.usage >= this.policy.threshold) {
      this.stopped = true;
      return { kind: 'stop', sustainedMs: long.spanMs, usage: long.usage };
    }
    return { kind: 'ok' };
  }

  private calm(usage: number): CpuVerdict {
    if (!this.warned || this.stopped) return { kind: 'ok' };
    this.warned = false;
    return { kind: 'calm', usage };
  }

  /** Average use (fraction of the quota) over the newest samples covering at least `periodMs`; none when too short. */
  private over(latest: CpuSample, periodMs: number): { usage: number; spanMs: number } | undefined {
    if (periodMs <= 0) return undefined;
    for (let i = this.window.length - 2; i >= 0; i--) {
      const from = this.window[i]!;
      if (latest.atMs - from.atMs >= periodMs) return { usage: this.averageSince(latest, from), spanMs: latest.atMs - from.atMs };
    }
    return undefined;
  }

  private averageSince(latest: CpuSample, from: CpuSample): number {
    if (this.cpus <= 0) return 0;
    return (latest.usageNs - from.usageNs) / ((latest.atMs - from.atMs) * 1e6 * this.cpus);
  }
}

/** "10 minutes", "1 minute", "30 seconds": how long a policy duration reads to a learner. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 60 && seconds % 60 === 0) {
    const minutes = seconds / 60;
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** The learner's warning, naming both lines of the policy. */
export function cpuWarningText(policy: CpuAbusePolicy): string {
  const stop = policy.stopAfterMs > 0 ? `; it will be stopped at ${formatDuration(policy.stopAfterMs)}` : '';
  return `This instance has used its full CPU for ${formatDuration(policy.warnAfterMs)}${stop}.`;
}

/** The reason shown for an instance stopped by the policy. */
export function cpuStopReason(policy: CpuAbusePolicy): string {
  return `stopped: sustained full CPU for ${formatDuration(policy.stopAfterMs)}`;
}
