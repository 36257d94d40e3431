import { PlaygroundError } from '@playground/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import type { Logger } from '../logger.ts';
import { databaseUnavailable, isDatabaseUnavailable, isRedisUnavailable, queueUnavailable, ServiceTimeout } from '../service-errors.ts';

// The one place where errors become HTTP responses. Users see a code and a message,
// never a stack trace; anything unexpected is logged and shown as `internal`.

export function toPlaygroundError(error: unknown): PlaygroundError {
  if (error instanceof PlaygroundError) return error;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return new PlaygroundError('bad_request', `Invalid request body. ${where}${issue?.message ?? ''}`.trim());
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    if (fastifyError.statusCode === 404) return new PlaygroundError('not_found', 'Not found.');
    // Fastify's own messages (bad JSON, wrong content type, body too large) are safe to show.
    return new PlaygroundError('bad_request', fastifyError.message ?? 'Bad request.');
  }
  // A backing service that is down is a 503 with a plain message, not our bug.
  if (error instanceof ServiceTimeout) return error.service === 'postgres' ? databaseUnavailable(error) : queueUnavailable(error);
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error);
  if (isRedisUnavailable(error)) return queueUnavailable(error);
  return new PlaygroundError('internal', 'Something went wrong on our side. Please try again.', { cause: error });
}

export function sendError(reply: FastifyReply, error: PlaygroundError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
  return reply.code(error.status).type('application/json').send(error.toBody());
}

/** `counted`: told the code of every error answered (the errors metric). */
export function createErrorHandler(logger: Logger, counted: (code: string) => void = () => undefined) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const translated = toPlaygroundError(error);
    counted(translated.code);
    if (translated.code === 'internal') {
      logger.error({ err: error, method: request.method, url: request.url }, 'http.internal_error');
    } else if (translated.code === 'unavailable') {
      logger.warn({ err: (error as Error)?.message, method: request.method, url: request.url }, 'http.service_unavailable');
    }
    return sendError(reply, translated);
  };
}
