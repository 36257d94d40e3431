import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, IDLE_AFTER_MS, presenceOf } from './learner-presence.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('presenceOf', () => {
  it('reads connected, offline, idle and ended', () => {
    const cases = [
      [{ status: 'active', connected: true, lastActivityAt: ago(10_000) }, 'connected'],
      [{ status: 'active', connected: false, lastActivityAt: ago(10_000) }, 'offline'],
      [{ status: 'active', connected: true, lastActivityAt: ago(IDLE_AFTER_MS) }, 'idle'],
      [{ status: 'active', connected: false, lastActivityAt: ago(IDLE_AFTER_MS + 1) }, 'idle'],
      [{ status: 'ended', connected: false, lastActivityAt: ago(1_000) }, 'ended'],
      [{ status: 'lost', connected: false, lastActivityAt: ago(1_000) }, 'ended'],
      [{ status: 'closing', connected: true, lastActivityAt: ago(1_000) }, 'ended'],
    ] as const;
    for (const [learner, expected] of cases) assert.equal(presenceOf(learner, NOW), expected, JSON.stringify(learner));
  });
});

describe('formatAgo', () => {
  it('says minutes and hours', () => {
    assert.deepEqual(formatAgo(ago(20_000), NOW), { key: 'justNow', values: {} });
    assert.deepEqual(formatAgo(ago(4 * 60_000 + 59_000), NOW), { key: 'minutes', values: { minutes: 4 } });
    assert.deepEqual(formatAgo(ago(60 * 60_000), NOW), { key: 'hours', values: { hours: 1 } });
    assert.deepEqual(formatAgo(ago(125 * 60_000), NOW), { key: 'hoursMinutes', values: { hours: 2, minutes: 5 } });
  });

  it('reads a time a little ahead (clock skew) as just now', () => {
    assert.deepEqual(formatAgo(new Date(NOW + 5_000).toISOString(), NOW), { key: 'justNow', values: {} });
  });
});
