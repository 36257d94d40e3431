import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmptySampleError, mibPerSecond, percentile, ratio, round, summarize } from './stats.ts';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    const cases: Array<[number[], number, number]> = [
      [[5], 0, 5],
      [[5], 50, 5],
      [[5], 99, 5],
      [[1, 2, 3, 4], 50, 2.5],
      [[1, 2, 3, 4, 5], 50, 3],
      [[1, 2, 3, 4, 5], 0, 1],
      [[1, 2, 3, 4, 5], 100, 5],
      [[1, 2, 3, 4, 5], 25, 2],
      [[10, 20], 90, 19],
      [[0, 100], 99, 99],
    ];
    for (const [values, p, expected] of cases) {
      assert.ok(Math.abs(percentile(values, p) - expected) < 1e-9, `p${p} of ${values.join(',')} = ${percentile(values, p)}, want ${expected}`);
    }
  });

  it('does not depend on input order and does not reorder the input', () => {
    const values = [9, 1, 7, 3, 5];
    assert.equal(percentile(values, 50), 5);
    assert.deepEqual(values, [9, 1, 7, 3, 5]);
  });

  it('puts p99 of 1..1000 just below the maximum', () => {
    const values = Array.from({ length: 1000 }, (_, index) => index + 1);
    assert.ok(Math.abs(percentile(values, 99) - 990.01) < 1e-9);
    assert.equal(percentile(values, 50), 500.5);
  });

  it('refuses an empty sample and an out-of-range percentile', () => {
    assert.throws(() => percentile([], 50), EmptySampleError);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });
});

describe('summarize', () => {
  it('reports count, extremes, mean and percentiles', () => {
    const summary = summarize([4, 1, 3, 2]);
    assert.deepEqual(
      { count: summary.count, min: summary.min, max: summary.max, mean: summary.mean, p50: summary.p50 },
      { count: 4, min: 1, max: 4, mean: 2.5, p50: 2.5 },
    );
    assert.ok(Math.abs(summary.p99 - 3.97) < 1e-9);
    assert.throws(() => summarize([]), EmptySampleError);
  });
});

describe('ratio, throughput and rounding', () => {
  it('divides value by baseline, null when undefined', () => {
    assert.equal(ratio(3, 1.5), 2);
    assert.equal(ratio(null, 1), null);
    assert.equal(ratio(1, null), null);
    assert.equal(ratio(1, 0), null);
  });

  it('converts bytes and milliseconds to MiB/s', () => {
    assert.equal(mibPerSecond(10 * 1024 * 1024, 2000), 5);
    assert.throws(() => mibPerSecond(1, 0), RangeError);
  });

  it('rounds and maps non-finite values to null', () => {
    assert.equal(round(1.23456, 2), 1.23);
    assert.equal(round(Number.POSITIVE_INFINITY), null);
    assert.equal(round(null), null);
  });
});
