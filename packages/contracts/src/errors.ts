import { z } from 'zod';

/**
 * Every error the public API can return, with the HTTP status it maps to.
 * Codes are stable strings: clients and embeds switch on them.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  /** A cross-site request from an origin the playground does not allow. */
  origin_not_allowed: 403,
  not_found: 404,
  session_ended: 404,
  /** The node running the session stopped responding; its instances are gone. */
  session_lost: 410,
  instance_limit: 409,
  /** An instance of that hostname already lives in the session. */
  hostname_taken: 409,
  session_limit: 429,
  rate_limited: 429,
  no_capacity: 503,
  unavailable: 503,
  instance_failed: 502,
  timeout: 504,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error meant for the user: its message is shown as is, its code maps to an HTTP status. */
export class PlaygroundError extends Error {
  readonly code: ErrorCode;
  /** Seconds the client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, options?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'PlaygroundError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
