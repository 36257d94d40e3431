import { PlaygroundError } from '@playground/contracts';

// Postgres or Redis being down is not our bug: callers get 503 `unavailable` with a plain
// message and a Retry-After, never a 500. Detection is by the drivers' error shapes.

export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export function databaseUnavailable(cause?: unknown): PlaygroundError {
  return new PlaygroundError(
    'unavailable',
    "The playground's database is not reachable right now. Please try again in a few seconds.",
    { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause },
  );
}

export function queueUnavailable(cause?: unknown): PlaygroundError {
  return new PlaygroundError(
    'unavailable',
    "The playground's job queue (Redis) is not reachable right now. Please try again in a few seconds.",
    { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause },
  );
}

/** Driver-adapter error kinds (Prisma + adapter-pg) that mean "no usable connection". */
const DB_UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Prisma codes: can't reach (P1001), timeout (P1002, P1008), closed (P1017), pool timeout (P2024), transaction API (P2028). */
const PRISMA_UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** Postgres SQLSTATEs of a server that is shutting down or starting up. */
const PG_SHUTDOWN_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const DB_MESSAGES =
  /Can't reach database server|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection due to administrator command|Query read timeout/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: any = error, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e.constructor?.name?.startsWith('PrismaClientInitializationError')) return true;
    if (typeof e.code === 'string' && PRISMA_UNREACHABLE_CODES.has(e.code)) return true;
    const adapter = e.meta?.driverAdapterError?.cause ?? (e.name === 'DriverAdapterError' ? e.cause : undefined);
    if (adapter && (DB_UNREACHABLE_KINDS.has(adapter.kind) || PG_SHUTDOWN_CODES.has(adapter.originalCode ?? adapter.code))) {
      return true;
    }
    if (typeof e.message === 'string' && DB_MESSAGES.test(e.message)) return true;
  }
  return false;
}

const REDIS_MESSAGES =
  /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|Redis is not connected|max retries per request|LOADING Redis/i;

export function isRedisUnavailable(error: unknown): boolean {
  for (let e: any = error, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e instanceof ServiceTimeout && e.service === 'redis') return true;
    if (typeof e.message === 'string' && REDIS_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** A call to a backing service that did not answer within its time box. */
export class ServiceTimeout extends Error {
  readonly code = 'service_timeout';
  constructor(
    readonly service: 'postgres' | 'redis',
    ms: number,
  ) {
    super(`${service} did not answer within ${ms} ms`);
  }
}

/** Rejects with ServiceTimeout when `work` takes longer than `ms` (the work itself is not cancelled). */
export async function timeBox<T>(service: 'postgres' | 'redis', ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceTimeout(service, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
