// A token bucket per browser connection and event kind: `perSecond` events on average,
// bursts up to twice that (a paste arrives as a few events at once). Synchronous on purpose:
// terminal input must reach the shell in the order it was typed, so the check cannot await.

export class EventBudget {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = perSecond * 2;
    this.tokens = this.burst;
    this.last = now();
  }

  /** True when one more event fits; false when it should be dropped. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
