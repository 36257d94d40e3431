/**
 * Every test request comes from one address (loopback): tests of other things must not trip
 * the creation and keystroke rate limits. Tests of the limits themselves set their own.
 */
export const GENEROUS_RATE_LIMITS = {
  RATE_LIMIT_SESSIONS_PER_MINUTE: '100000',
  RATE_LIMIT_INSTANCES_PER_MINUTE: '100000',
  TERMINAL_INPUT_EVENTS_PER_SECOND: '100000',
};
