import { z } from 'zod';

/**
 * Every error the public API can return, with the HTTP status it maps to.
 * Codes are stable strings: clients and embeds switch on them.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  /** Signed in, but this belongs to someone else (another instructor's workshop), or a watcher typed. */
  forbidden: 403,
  /** A cookie-authenticated change that did not come from the playground's own pages. */
  csrf_rejected: 403,
  /** A cross-site request from an origin the playground does not allow. */
  origin_not_allowed: 403,
  not_found: 404,
  session_ended: 404,
  /** The node running the session stopped responding; its instances are gone. */
  session_lost: 410,
  instance_limit: 409,
  /** An instance of that hostname already lives in the session. */
  hostname_taken: 409,
  /** The cluster cannot hold every seat a workshop asks for; the answer says how many it can. */
  insufficient_capacity: 409,
  /** Every seat of the workshop is taken. */
  workshop_full: 409,
  workshop_ended: 410,
  /** A lab slug that a shipped lab or another instructor's lab already has. */
  slug_taken: 409,
  /** That email already has an instructor account. */
  email_taken: 409,
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
  /** Machine-readable facts beside the message (e.g. `guaranteed` seats), sent inside `error`. */
  readonly details?: Record<string, string | number | boolean>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { retryAfterSeconds?: number; cause?: unknown; details?: Record<string, string | number | boolean> },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'PlaygroundError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { error: { ...this.details, code: this.code, message: this.message } };
  }
}
