import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CpuAbuseDetector, cpuStopReason, cpuWarningText, formatDuration, type CpuVerdict } from './cpu-abuse-detector.ts';

const policy = { threshold: 0.9, warnAfterMs: 5 * 60_000, stopAfterMs: 10 * 60_000 };
const STEP_MS = 5000;

/** Feeds samples 5 s apart, each interval using `fractions[i]` of `cpus` cores; returns the verdicts. */
function run(detector: CpuAbuseDetector, cpus: number, fractions: number[]): CpuVerdict[] {
  let at = 1_000_000;
  let used = 42e9; // a counter that started long before monitoring
  const verdicts = [detector.add({ atMs: at, usageNs: used })];
  for (const f of fractions) {
    at += STEP_MS;
    used += f * cpus * STEP_MS * 1e6;
    verdicts.push(detector.add({ atMs: at, usageNs: used }));
  }
  return verdicts;
}

const minutes = (m: number) => (m * 60_000) / STEP_MS;
const kinds = (verdicts: CpuVerdict[]) => verdicts.map((v) => v.kind).filter((k) => k !== 'ok');

test('a full burn is warned once at the warning line and stopped once at the stop line', () => {
  const verdicts = run(new CpuAbuseDetector(policy, 1), 1, Array(minutes(12)).fill(1));
  assert.deepEqual(kinds(verdicts), ['warn', 'stop']);
  const warnAt = verdicts.findIndex((v) => v.kind === 'warn');
  const stopAt = verdicts.findIndex((v) => v.kind === 'stop');
  assert.equal(warnAt, minutes(5), 'warned exactly when 5 minutes of full use are behind it');
  assert.equal(stopAt, minutes(10));
  const stop = verdicts[stopAt] as Extract<CpuVerdict, { kind: 'stop' }>;
  assert.equal(stop.sustainedMs, 10 * 60_000);
  assert.ok(Math.abs(stop.usage - 1) < 1e-9);
});

test('use is measured against the quota: 0.95 of 2 cores is full, 1 core of a 2-core quota is not', () => {
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 2), 2, Array(minutes(10)).fill(0.95))), ['warn', 'stop']);
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 2), 2, Array(minutes(20)).fill(0.5))), []);
});

test('a noisy burn (a miner on a busy host, or sleeping a little to hide) is judged by its average', () => {
  const noisy = Array.from({ length: minutes(11) }, (_, i) => (i % 2 ? 0.85 : 1));
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 1), 1, noisy)), ['warn', 'stop']);
});

test('a burn that ends after the warning withdraws it, and nothing is stopped', () => {
  const burn = [...Array(minutes(6)).fill(1), ...Array(minutes(10)).fill(0.05)];
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 1), 1, burn)), ['warn', 'calm']);
});

test("a learner's work (builds at full speed with pauses, or 80 % for long) is never warned", () => {
  const builds = Array.from({ length: minutes(40) }, (_, i) => (i % minutes(5) < minutes(3) ? 1 : 0.05));
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 1), 1, builds)), []);
  assert.deepEqual(kinds(run(new CpuAbuseDetector(policy, 1), 1, Array(minutes(30)).fill(0.8))), []);
});

test('0 disables a step: warn-only and stop-only policies', () => {
  const warnOnly = new CpuAbuseDetector({ ...policy, stopAfterMs: 0 }, 1);
  assert.deepEqual(kinds(run(warnOnly, 1, Array(minutes(30)).fill(1))), ['warn']);
  const stopOnly = run(new CpuAbuseDetector({ ...policy, warnAfterMs: 0 }, 1), 1, Array(minutes(11)).fill(1));
  assert.deepEqual(kinds(stopOnly), ['stop']);
  assert.equal(stopOnly.findIndex((v) => v.kind === 'stop'), minutes(10));
});

test('a gap in sampling (agent paused) or a counter that went backwards does not count as burning', () => {
  const d = new CpuAbuseDetector({ threshold: 0.9, warnAfterMs: 10_000, stopAfterMs: 20_000 }, 1);
  assert.equal(d.add({ atMs: 0, usageNs: 0 }).kind, 'ok');
  // 2 minutes "at full use" in one interval is not believed: the window restarts there.
  assert.equal(d.add({ atMs: 120_000, usageNs: 120e9 }).kind, 'ok');
  assert.equal(d.add({ atMs: 125_000, usageNs: 125e9 }).kind, 'ok');
  assert.equal(d.add({ atMs: 130_000, usageNs: 1e6 }).kind, 'ok', 'counter reset: a new container');
  assert.equal(d.add({ atMs: 135_000, usageNs: 5e9 + 1e6 }).kind, 'ok');
  assert.equal(d.add({ atMs: 140_000, usageNs: 10e9 + 1e6 }).kind, 'warn', '10 s of full use since the reset');
});

test('the learner reads durations in plain words', () => {
  assert.equal(cpuStopReason(policy), 'stopped: sustained full CPU for 10 minutes');
  assert.equal(cpuWarningText(policy), 'This instance has used its full CPU for 5 minutes; it will be stopped at 10 minutes.');
  assert.equal(cpuWarningText({ ...policy, stopAfterMs: 0 }), 'This instance has used its full CPU for 5 minutes.');
  assert.equal(formatDuration(60_000), '1 minute');
  assert.equal(formatDuration(6000), '6 seconds');
  assert.equal(formatDuration(90_000), '90 seconds');
});
