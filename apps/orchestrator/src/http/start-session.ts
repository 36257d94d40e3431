import { PlaygroundError, type TerminalLanguage } from '@playground/contracts';
import type { FastifyRequest } from 'fastify';
import type { ClientIdentifier } from '../client-identity.ts';
import type { CreationLimits } from '../creation-limits.ts';
import type { Session } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { OriginPolicy } from '../origin-policy.ts';
import type { Sessions } from '../sessions.ts';
import { requestLanguage } from './request-language.ts';

// Starting a session from an HTTP request, whichever door it came through (our API, Play with
// Docker's `POST /`): the calling page's origin must be ours or an allowed one, and the client
// (and an embedding origin, counted on its own) must be within its rate limits.

export interface SessionStartDeps {
  logger: Logger;
  sessions: Sessions;
  identify: ClientIdentifier;
  originPolicy: OriginPolicy;
  creationLimits: CreationLimits;
}

/** The foreign origin an allowed embed calls from (counted on its own), if any. */
export function embeddingOrigin(originPolicy: OriginPolicy, request: FastifyRequest): string | undefined {
  const verdict = originPolicy(request.headers.origin);
  return verdict.kind === 'allowed' ? verdict.origin : undefined;
}

export async function startSession(
  deps: SessionStartDeps,
  request: FastifyRequest,
  options: { ttlMinutes?: number; language?: TerminalLanguage } = {},
): Promise<Session> {
  const origin = deps.originPolicy(request.headers.origin);
  if (origin.kind === 'refused') {
    deps.logger.info({ origin: origin.origin }, 'session.origin_refused');
    throw new PlaygroundError(
      'origin_not_allowed',
      `Sessions cannot be started from ${origin.origin}: this playground allows only its own pages and the sites its operator listed.`,
    );
  }
  const client = await deps.identify(request.raw);
  await deps.creationLimits.take('session', client.key, embeddingOrigin(deps.originPolicy, request));
  return deps.sessions.create(client.key, { ...options, language: requestLanguage(options.language, request.headers) });
}

/** Counts a new instance against the client's (and its embedding origin's) rate limit. */
export async function takeInstanceAllowance(deps: SessionStartDeps, request: FastifyRequest): Promise<void> {
  const client = await deps.identify(request.raw);
  await deps.creationLimits.take('instance', client.key, embeddingOrigin(deps.originPolicy, request));
}
