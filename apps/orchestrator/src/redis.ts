import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * The shared Redis connection (BullMQ queues, heartbeats). The offline queue is off, so
 * while Redis is down a command fails at once (503 `unavailable`) instead of waiting to be
 * sent later, when its request is long gone. ioredis reconnects by itself (every ≤ 1 s).
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // ioredis retries forever; log each distinct failure once instead of every retry.
    if (error.message !== lastError) logger.warn({ err: error.message }, 'redis.error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('redis.reconnected');
    lastError = '';
  });
  return redis;
}

/** Waits (bounded) for the first connection; the orchestrator still starts when Redis is down. */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
