import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBudget } from './event-budget.ts';

describe('event budget', () => {
  it('lets a burst of twice the rate through, then refuses until time refills it', () => {
    let now = 0;
    const budget = new EventBudget(10, () => now);
    const burst = Array.from({ length: 25 }, () => budget.take());
    assert.equal(burst.filter(Boolean).length, 20);
    assert.equal(budget.take(), false);
    now += 100; // 0.1 s at 10/s: one more
    assert.equal(budget.take(), true);
    assert.equal(budget.take(), false);
    now += 60_000; // a long pause refills only up to the burst
    assert.equal(Array.from({ length: 25 }, () => budget.take()).filter(Boolean).length, 20);
  });
});
