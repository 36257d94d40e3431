import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; messages are stable event names (`instance.created`), details are fields. */
export function createLogger(level: string): Logger {
  return pino({ name: 'orchestrator', level });
}
