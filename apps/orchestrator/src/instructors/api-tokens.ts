import { createHash } from 'node:crypto';
import { INSTRUCTOR_TOKEN_PREFIX, PlaygroundError, newRecordId, newTokenSecret, type CreatedTokenView, type TokenView } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { ApiToken, Instructor } from '../generated/prisma/client.ts';

// Instructors' API tokens: `pgi_<52 base32>`, shown once; only the SHA-256 is kept (a
// database leak gives no usable token). A fast hash is right here: the token is 256 random
// bits, not a password that could be guessed.

/** lastUsedAt is written at most this often per token, so every API call is not a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

export function tokenView(row: ApiToken): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export class ApiTokens {
  constructor(private readonly db: Db) {}

  async issue(instructorId: string, name: string): Promise<CreatedTokenView> {
    const token = INSTRUCTOR_TOKEN_PREFIX + newTokenSecret();
    const row = await this.db.apiToken.create({
      data: { id: newRecordId(), instructorId, name, hash: hashOf(token), prefix: token.slice(0, INSTRUCTOR_TOKEN_PREFIX.length + 6) },
    });
    return { ...tokenView(row), token };
  }

  async list(instructorId: string): Promise<TokenView[]> {
    const rows = await this.db.apiToken.findMany({ where: { instructorId, revokedAt: null }, orderBy: { createdAt: 'desc' } });
    return rows.map(tokenView);
  }

  /** Revoking someone else's (or an unknown) token is a 404: ids are not confirmed to strangers. */
  async revoke(instructorId: string, tokenId: string): Promise<void> {
    const changed = await this.db.apiToken.updateMany({ where: { id: tokenId, instructorId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (changed.count === 0) throw new PlaygroundError('not_found', 'No such token.');
  }

  /** The instructor a presented token belongs to, or null (unknown or revoked). */
  async instructorFor(token: string): Promise<Instructor | null> {
    if (!token.startsWith(INSTRUCTOR_TOKEN_PREFIX)) return null;
    const row = await this.db.apiToken.findUnique({ where: { hash: hashOf(token) }, include: { instructor: true } });
    if (!row || row.revokedAt) return null;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
    }
    return row.instructor;
  }
}
