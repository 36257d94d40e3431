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

export type CpuVerdict =
  | { kind: 'ok' }
  /** First crossing of the warning line in this burn. */
  | { kind: 'warn'; sustainedMs: number; usage: number }
  /** The burn that was warned about ended before the stop line. */
  | { kind: 'calm'; usage: number }
  | { kind: 'stop'; sustainedMs: number; usage: number };

/** Samples further apart than this do not count as one interval (the agent was paused, a restart). */
const MAX_GAP_MS = 60_000;

export class CpuAbuseDetector {
  /** Samples since the current burn began (the sliding window); the first is its start. */
  private window: CpuSample[] = [];
  private warned = false;
  private stopped = false;
  private lastUsage = 0;

  constructor(
    private readonly policy: CpuAbusePolicy,
    /** The instance's CPU quota in cores. */
    private readonly cpus: number,
  ) {}

  get usage(): number {
    return this.lastUsage;
  }

  /**
   * Adds a sample. An interval under the threshold ends the burn: a brief dip resets the clock,
   * because the line is drawn at "full use without a break", which a learner's ordinary work
   * (builds, tests) does not keep up for minutes while a miner does.
   */
  add(sample: CpuSample): CpuVerdict {
    const previous = this.window.at(-1);
    if (!previous) {
      this.window = [sample];
      return { kind: 'ok' };
    }
    const elapsedMs = sample.atMs - previous.atMs;
    if (elapsedMs <= 0) return { kind: 'ok' };
    // A counter that went backwards belongs to a new container: start over.
    const usedNs = sample.usageNs - previous.usageNs;
    const usage = usedNs < 0 || this.cpus <= 0 ? 0 : usedNs / (elapsedMs * 1e6 * this.cpus);
    this.lastUsage = usage;
    if (usage < this.policy.threshold || elapsedMs > MAX_GAP_MS) {
      const wasWarned = this.warned && !this.stopped;
      this.window = [sample];
      this.warned = false;
      return wasWarned ? { kind: 'calm', usage } : { kind: 'ok' };
    }
    this.window.push(sample);
    const sustainedMs = sample.atMs - this.window[0]!.atMs;
    // Only the burn's start and its latest sample matter; keep the window small.
    if (this.window.length > 2) this.window = [this.window[0]!, sample];
    if (this.policy.stopAfterMs > 0 && sustainedMs >= this.policy.stopAfterMs && !this.stopped) {
      this.stopped = true;
      return { kind: 'stop', sustainedMs, usage };
    }
    if (this.policy.warnAfterMs > 0 && sustainedMs >= this.policy.warnAfterMs && !this.warned && !this.stopped) {
      this.warned = true;
      return { kind: 'warn', sustainedMs, usage };
    }
    return { kind: 'ok' };
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
