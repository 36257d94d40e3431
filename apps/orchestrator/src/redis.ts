import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * A Redis connection for BullMQ and heartbeats. `maxRetriesPerRequest: null` is what BullMQ
 * requires; callers that must not hang (health) time-box their own commands.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // ioredis retries forever; log each distinct failure once instead of every retry.
    if (error.message !== lastError) logger.warn({ err: error.message }, 'redis.error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}
