import { setTimeout as sleep } from 'node:timers/promises';

// The one way a test waits for a condition: ask again until the answer is truthy or the
// time is up. A check that throws has not held yet (the service may still be starting);
// its last error goes into the timeout message, so a failure says what was awaited and why
// it never came.

export interface EventuallyOptions {
  /** How long to keep asking before giving up. */
  timeoutMs: number;
  /** What is awaited, as a phrase: "the instance to be running". */
  description: string;
  /** Pause between two checks (default 100 ms). */
  intervalMs?: number;
}

/** The check did not hold in time; `lastError` is what it last threw, if anything. */
export class EventuallyTimeoutError extends Error {
  readonly code = 'EVENTUALLY_TIMED_OUT';
  constructor(
    message: string,
    readonly lastError: unknown,
  ) {
    super(message, lastError === undefined ? undefined : { cause: lastError });
  }
}

/** What a truthy answer can be: the answer's type without its falsy members. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Resolves with the first truthy answer of `check`; rejects when none came within `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs, description, intervalMs = 100 }: EventuallyOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
      last = `last answer: ${String(value)}`;
    } catch (error) {
      lastError = error;
      last = '';
    }
    // Checked after the attempt, so even a zero timeout asks once.
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  // The last error is kept even when later checks only answered falsy: it is usually the why.
  const details = [last, lastError === undefined ? '' : `last error: ${describe(lastError)}`].filter(Boolean).join('; ');
  throw new EventuallyTimeoutError(`timed out after ${timeoutMs} ms waiting for ${description} (${details})`, lastError);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
