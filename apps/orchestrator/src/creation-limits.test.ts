import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PlaygroundError } from '@playground/contracts';
import { CreationLimits } from './creation-limits.ts';
import { createLogger } from './logger.ts';
import { createRedis, waitForRedis } from './redis.ts';
import { startPrivateRedis, type PrivateService } from '../test/harness.ts';

// Against a real Redis server of this file's own: the count lives in Redis, so a limiter on a new connection (the
// orchestrator after a restart) continues it; with Redis unreachable the process still limits
// in memory instead of failing or letting everything through.

const logger = createLogger('silent');
const config = {
  RATE_LIMIT_SESSIONS_PER_MINUTE: 3,
  RATE_LIMIT_SESSIONS_PER_ORIGIN_PER_MINUTE: 100,
  RATE_LIMIT_INSTANCES_PER_MINUTE: 3,
  RATE_LIMIT_INSTANCES_PER_ORIGIN_PER_MINUTE: 100,
};

async function outcomes(limits: CreationLimits[], key: string, count: number): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await limits[i % limits.length]!.take('session', key);
      results.push('ok');
    } catch (error) {
      assert.ok(error instanceof PlaygroundError, String(error));
      results.push(error.code);
    }
  }
  return results;
}

describe('creation limits', () => {
  const redises: Array<ReturnType<typeof createRedis>> = [];
  const prefix = `test-limits-${randomBytes(4).toString('hex')}`;
  let server: PrivateService;
  before(async () => {
    server = await startPrivateRedis();
  });
  after(async () => {
    for (const redis of redises) redis.disconnect();
    await server?.close();
  });

  it('limiters on separate Redis connections continue one count per client (it survives a restart)', async () => {
    const limiters = [];
    for (let i = 0; i < 2; i++) {
      const redis = createRedis(server.url, logger);
      redises.push(redis);
      assert.ok(await waitForRedis(redis, 2_000));
      limiters.push(new CreationLimits(redis, prefix, config, logger));
    }
    assert.deepEqual(await outcomes(limiters, '198.51.100.1', 5), ['ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
  });

  it('with Redis unreachable, the process still limits in memory', async () => {
    const redis = createRedis('redis://127.0.0.1:1', logger);
    redises.push(redis);
    const limits = new CreationLimits(redis, prefix, config, logger);
    assert.deepEqual(await outcomes([limits], '198.51.100.2', 4), ['ok', 'ok', 'ok', 'rate_limited']);
  });
});
