import { randomBytes } from 'node:crypto';
import { EVENT, PlaygroundError, newRecordId, type CreateInstructorBody, type CreatedInstructorView, type InstructorView } from '@playground/contracts';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { Instructor } from '../generated/prisma/client.ts';
import type { ApiTokens } from './api-tokens.ts';
import type { InstructorAuth } from './auth.ts';

// Instructor accounts, made by the admin (POST /api/v1/instructors): the account row, its
// email + password credential (hashed by Better Auth's own hasher, so sign-in verifies it),
// and a first API token. Both secrets are in the answer, once.

export function instructorView(row: Instructor): InstructorView {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.createdAt.toISOString() };
}

export class Instructors {
  constructor(
    private readonly db: Db,
    private readonly auth: InstructorAuth,
    private readonly tokens: ApiTokens,
    private readonly audit: Pick<AuditLog, 'record'>,
  ) {}

  async create(body: CreateInstructorBody): Promise<CreatedInstructorView> {
    const generated = body.password === undefined ? randomBytes(12).toString('base64url') : undefined;
    const passwordHash = await (await this.auth.$context).password.hash(body.password ?? generated!);
    const id = newRecordId();
    const row = await this.db
      .$transaction(async (tx) => {
        const instructor = await tx.instructor.create({ data: { id, email: body.email, name: body.name } });
        await tx.instructorAccount.create({
          data: { id: newRecordId(), instructorId: id, providerId: 'credential', accountId: id, password: passwordHash },
        });
        return instructor;
      })
      .catch((error: unknown) => {
        if ((error as { code?: string }).code === 'P2002') throw new PlaygroundError('email_taken', `There is already an instructor with the email ${body.email}.`);
        throw error;
      });
    const token = await this.tokens.issue(id, 'first token');
    await this.audit.record(EVENT.instructorCreated, { data: { instructorId: id } });
    return { ...instructorView(row), token: token.token, ...(generated ? { password: generated } : {}) };
  }

  async list(): Promise<InstructorView[]> {
    return (await this.db.instructor.findMany({ orderBy: { createdAt: 'asc' } })).map(instructorView);
  }
}
