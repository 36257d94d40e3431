import { pino, type Logger } from 'pino';
import { currentRequest } from './request-context.ts';

export type { Logger };

/**
 * Structured JSON logs; messages are stable event names (`instance.created`), details are
 * fields. A line written while serving a request carries its `requestId`.
 */
export function createLogger(level: string): Logger {
  return pino({ name: 'orchestrator', level, mixin: () => currentRequest() ?? {} });
}
