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
    assert.equal(formatAgo(ago(20_000), NOW), 'just now');
    assert.equal(formatAgo(ago(4 * 60_000 + 59_000), NOW), '4 min ago');
    assert.equal(formatAgo(ago(60 * 60_000), NOW), '1 h ago');
    assert.equal(formatAgo(ago(125 * 60_000), NOW), '2 h 5 min ago');
  });

  it('reads a time a little ahead (clock skew) as just now', () => {
    assert.equal(formatAgo(new Date(NOW + 5_000).toISOString(), NOW), 'just now');
  });
});
