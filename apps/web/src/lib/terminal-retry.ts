// When the web terminal reconnects by itself. The server marks an exit or a refused
// handshake `retryable` when the shell probably still lives and only the link to its node
// broke (the node's agent is reconnecting, or the orchestrator restarted); then the page
// retries with backoff instead of waiting for a click. Anything else (the shell ended, the
// session ended or was lost) stays ended until the learner presses "Restart shell".

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 10_000;

/** Delay before retry number `attempt` (0-based): 1 s, 2 s, 4 s, 8 s, then 10 s, with ±20 % jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** An `exit` the page should retry by itself. */
export function isRetryableExit(info: { retryable?: unknown } | null | undefined): boolean {
  return info?.retryable === true;
}

/** A refused handshake (connect_error) the page should retry by itself. */
export function isRetryableRefusal(error: object | null | undefined): boolean {
  const data = (error as { data?: { retryable?: unknown } } | null | undefined)?.data;
  return data?.retryable === true;
}

/**
 * A server-side disconnect without an `exit` first: the server went away deliberately
 * (a graceful restart), not because this terminal ended.
 */
export function isRetryableDisconnect(reason: string, exited: boolean): boolean {
  return !exited && reason === 'io server disconnect';
}
