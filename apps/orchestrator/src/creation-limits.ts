import { PlaygroundError } from '@playground/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

// How fast one client (or one embedding origin) may create sessions and instances. Counts
// live in Redis, so an orchestrator restart does not reset them. While Redis is down or slow
// the process counts in memory instead: the limits still hold, and creating a session does
// not fail only because the counters are unreachable.

export type CreationKind = 'session' | 'instance';
type Scope = 'client' | 'origin';

const WINDOW_SECONDS = 60;
const REDIS_TIME_BOX_MS = 1_000;

const WHAT: Record<CreationKind, string> = { session: 'new sessions', instance: 'new instances' };
const WHO: Record<Scope, string> = { client: 'from your address', origin: 'from the site embedding this playground' };

class Limit {
  private readonly shared: RateLimiterRedis;
  private readonly local: RateLimiterMemory;

  constructor(
    redis: Redis,
    keyPrefix: string,
    readonly points: number,
    private readonly logger: Logger,
  ) {
    this.local = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS });
    this.shared = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration: WINDOW_SECONDS,
      rejectIfRedisNotReady: true,
      insuranceLimiter: this.local,
    });
  }

  /** Resolves when there was room; otherwise the milliseconds until there is. */
  async take(key: string): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), REDIS_TIME_BOX_MS);
    });
    try {
      const shared = this.shared.consume(key);
      // A late answer of the shared limiter (after the fallback) must not become an unhandled rejection.
      shared.catch(() => undefined);
      const first = await Promise.race([shared, slow]);
      if (first === 'slow') {
        this.logger.warn({ key }, 'rate_limit.redis_slow');
        await this.local.consume(key);
      }
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection.msBeforeNext;
      throw rejection;
    } finally {
      clearTimeout(timer);
    }
  }
}

export class CreationLimits {
  private readonly limits: Record<CreationKind, Record<Scope, Limit>>;

  constructor(
    redis: Redis,
    keyPrefix: string,
    config: Pick<
      Config,
      | 'RATE_LIMIT_SESSIONS_PER_MINUTE'
      | 'RATE_LIMIT_SESSIONS_PER_ORIGIN_PER_MINUTE'
      | 'RATE_LIMIT_INSTANCES_PER_MINUTE'
      | 'RATE_LIMIT_INSTANCES_PER_ORIGIN_PER_MINUTE'
    >,
    private readonly logger: Logger,
  ) {
    const limit = (name: string, points: number) => new Limit(redis, `${keyPrefix}:rate:${name}`, points, logger);
    this.limits = {
      session: {
        client: limit('session-client', config.RATE_LIMIT_SESSIONS_PER_MINUTE),
        origin: limit('session-origin', config.RATE_LIMIT_SESSIONS_PER_ORIGIN_PER_MINUTE),
      },
      instance: {
        client: limit('instance-client', config.RATE_LIMIT_INSTANCES_PER_MINUTE),
        origin: limit('instance-origin', config.RATE_LIMIT_INSTANCES_PER_ORIGIN_PER_MINUTE),
      },
    };
  }

  /**
   * Counts one creation against the client and, for an embed, against its origin; throws
   * 429 `rate_limited` (with Retry-After and a message naming the limit) when either is spent.
   */
  async take(kind: CreationKind, clientKey: string, embeddingOrigin?: string): Promise<void> {
    await this.takeOne(kind, 'client', clientKey);
    if (embeddingOrigin) await this.takeOne(kind, 'origin', embeddingOrigin);
  }

  private async takeOne(kind: CreationKind, scope: Scope, key: string): Promise<void> {
    const limit = this.limits[kind][scope];
    const waitMs = await limit.take(key);
    if (waitMs === null) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    this.logger.info({ kind, scope, key, limit: limit.points }, 'rate_limit.refused');
    throw new PlaygroundError(
      'rate_limited',
      `Too many ${WHAT[kind]} ${WHO[scope]}: the limit is ${limit.points} per minute. Try again in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }
}
