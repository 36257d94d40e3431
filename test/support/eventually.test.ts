import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, EventuallyTimeoutError } from './eventually.ts';

describe('eventually', () => {
  it('resolves with the first truthy answer once the condition holds', async () => {
    let calls = 0;
    const value = await eventually(() => (++calls >= 3 ? { ready: calls } : undefined), { timeoutMs: 10_000, description: 'the third call', intervalMs: 1 });
    assert.deepEqual(value, { ready: 3 });
    assert.equal(calls, 3);
  });

  it('treats a thrown error as "not yet" and keeps asking', async () => {
    let calls = 0;
    const value = await eventually(
      async () => {
        if (++calls < 3) throw new Error('still starting');
        return 'up';
      },
      { timeoutMs: 10_000, description: 'the service', intervalMs: 1 },
    );
    assert.equal(value, 'up');
  });

  it('rejects on timeout naming what it waited for and the last error', async () => {
    let calls = 0;
    await assert.rejects(
      eventually(
        () => {
          calls++;
          throw new Error(`connection refused #${calls}`);
        },
        { timeoutMs: 50, description: 'the database to answer', intervalMs: 5 },
      ),
      (error: unknown) => {
        assert.ok(error instanceof EventuallyTimeoutError);
        assert.equal(error.code, 'EVENTUALLY_TIMED_OUT');
        assert.match(error.message, /timed out after 50 ms waiting for the database to answer/);
        assert.match(error.message, new RegExp(`last error: connection refused #${calls}\\b`));
        assert.equal((error.lastError as Error).message, `connection refused #${calls}`);
        return true;
      },
    );
  });

  it('rejects on timeout with the last answer when the check never threw', async () => {
    await assert.rejects(eventually(() => 0, { timeoutMs: 20, description: 'a positive count', intervalMs: 5 }), {
      message: 'timed out after 20 ms waiting for a positive count (last answer: 0)',
    });
  });

  it('asks at least once, even with no time to wait', async () => {
    assert.equal(await eventually(() => 'now', { timeoutMs: 0, description: 'an immediate answer' }), 'now');
  });
});
