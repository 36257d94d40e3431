import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetryableDisconnect, isRetryableExit, isRetryableRefusal, retryDelayMs } from './terminal-retry.ts';

describe('terminal retry', () => {
  it('backs off 1, 2, 4, 8 s, then stays at 10 s', () => {
    const mid = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 4, 5, 20].map((n) => retryDelayMs(n, mid)), [1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('jitters within ±20 %', () => {
    assert.equal(retryDelayMs(0, () => 0), 800);
    assert.equal(retryDelayMs(0, () => 1), 1200);
  });

  it('retries only what the server marked retryable', () => {
    assert.equal(isRetryableExit({ retryable: true }), true);
    assert.equal(isRetryableExit({}), false);
    assert.equal(isRetryableExit({ retryable: 'yes' }), false);
    assert.equal(isRetryableExit(undefined), false);
    assert.equal(isRetryableRefusal({ data: { retryable: true } }), true);
    assert.equal(isRetryableRefusal(Object.assign(new Error('This session has ended.'), {})), false);
    assert.equal(isRetryableDisconnect('io server disconnect', false), true);
    assert.equal(isRetryableDisconnect('io server disconnect', true), false);
    assert.equal(isRetryableDisconnect('transport close', false), false);
  });
});
