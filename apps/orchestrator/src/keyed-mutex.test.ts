import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex } from './keyed-mutex.ts';

// Pure logic (no service behind it); its real use is pinned by sessions.test.ts.

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedMutex', () => {
  it('runs work of one key one at a time, in order; other keys run alongside', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let inside = 0;
    let most = 0;
    const job = (key: string, name: string, ms: number) =>
      mutex.run(key, async () => {
        if (key === 'a') most = Math.max(most, ++inside);
        log.push(`${name}+`);
        await tick(ms);
        log.push(`${name}-`);
        if (key === 'a') inside--;
        return name;
      });
    const results = await Promise.all([job('a', 'a1', 20), job('a', 'a2', 5), job('b', 'b1', 1), job('a', 'a3', 1)]);
    assert.deepEqual(results, ['a1', 'a2', 'b1', 'a3']);
    assert.equal(most, 1);
    assert.deepEqual(log.filter((entry) => entry.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    assert.ok(log.indexOf('b1-') < log.indexOf('a1-'), 'b did not wait for a');
    assert.equal(mutex.size, 0);
  });

  it('a failure releases the key for the next one', async () => {
    const mutex = new KeyedMutex();
    const failed = mutex.run('k', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('k', async () => 'next');
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'next');
    assert.equal(mutex.size, 0);
  });
});
