// Percentiles and summaries of measured samples. Percentiles interpolate linearly between
// the two closest ranks (the "R-7" / NumPy default): p0 is the minimum, p100 the maximum,
// and the p50 of an even count is the mean of the two middle values.

export class EmptySampleError extends Error {
  readonly code = 'empty_sample';
  constructor() {
    super('a percentile of no samples is undefined');
  }
}

/** The p-th percentile (0 ≤ p ≤ 100) of `values`; the input is not modified. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (values.length === 0) throw new EmptySampleError();
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (rank - low);
}

export interface Summary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new EmptySampleError();
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
  };
}

/** value ÷ baseline, or null when either is missing or the baseline is zero. */
export function ratio(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || baseline === 0) return null;
  return value / baseline;
}

export const MIB = 1024 * 1024;

/** Throughput in MiB/s of `bytes` moved in `ms` milliseconds. */
export function mibPerSecond(bytes: number, ms: number): number {
  if (ms <= 0) throw new RangeError('a duration must be positive');
  return bytes / MIB / (ms / 1000);
}

/** Rounds for display and JSON (measurement noise dwarfs the digits dropped). */
export function round(value: number | null, digits = 3): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
