import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateService } from '../../../../test/support/private-services.ts';
import { SweepLease } from './sweep-lease.ts';

// Two replicas compete for the sweep on a real Redis: one holds it while it renews; when it
// stops (a kill -9), the other takes over with a higher fencing token, and the old holder's
// next renewal is refused, so it cannot sweep beside the new one.

describe('sweep lease', () => {
  let server: PrivateService;
  let redis: Redis;
  before(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await server?.close();
  });

  it('is held by one replica at a time and taken over when the holder stops renewing', async () => {
    const prefix = `lease-${randomBytes(3).toString('hex')}`;
    const a = new SweepLease(redis, prefix, 'replica-a', 600);
    const b = new SweepLease(redis, prefix, 'replica-b', 600);
    const first = await a.take();
    assert.equal(typeof first, 'number');
    assert.equal(await b.take(), undefined, 'b waits while a holds it');
    // a renews within its lease: it keeps it.
    await sleep(300);
    assert.equal(await a.take(), first);
    await sleep(400);
    assert.equal(await b.take(), undefined, 'a renewed, so b still waits');

    // a stops renewing (killed): after the lease b takes over, fenced by a higher token.
    await sleep(700);
    const second = await b.take();
    assert.ok(second !== undefined && second > first!, `b takes over with a higher token (${first} → ${second})`);
    assert.equal(await a.take(), undefined, 'a, back from a stall, does not sweep beside b');

    // A clean stop hands over at once.
    await b.release(second!);
    assert.ok((await a.take())! > second!);
  });
});
