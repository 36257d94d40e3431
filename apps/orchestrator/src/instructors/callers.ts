import { PlaygroundError } from '@playground/contracts';
import { secretEqual } from '@playground/contracts/secret-equal';
import type { IncomingHttpHeaders } from 'node:http';
import type { Instructor } from '../generated/prisma/client.ts';
import type { ApiTokens } from './api-tokens.ts';
import { fetchHeaders, type InstructorAuth } from './auth.ts';

// Who is calling an instructor's API: the admin (ADMIN_TOKEN), an instructor by API token,
// or an instructor's signed-in browser (Better Auth's cookie). Tokens are sent on purpose,
// so they need nothing more; a cookie travels by itself, so a cookie-authenticated request
// must also come from the playground's own pages (its Origin): another site, an allowed
// embed origin, or a learner's sandboxed page (Origin: null) cannot act with it.

export type Caller = { kind: 'admin' } | { kind: 'instructor'; instructor: Instructor };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class Callers {
  constructor(
    private readonly auth: InstructorAuth,
    private readonly tokens: ApiTokens,
    private readonly adminToken: string,
    private readonly publicOrigin: string,
  ) {}

  /** The caller, or a 401 naming the ways in. `explicitToken`: one given outside the headers (a socket handshake). */
  async require(request: { headers: IncomingHttpHeaders; method: string }, explicitToken?: string): Promise<Caller> {
    const caller = await this.resolve(request, explicitToken);
    if (!caller) throw new PlaygroundError('unauthorized', 'Sign in as an instructor, or send Authorization: Bearer <instructor token>.');
    return caller;
  }

  /** An instructor (not the admin token): for what belongs to one account, such as its tokens. */
  async requireInstructor(request: { headers: IncomingHttpHeaders; method: string }): Promise<Instructor> {
    const caller = await this.require(request);
    if (caller.kind !== 'instructor') throw new PlaygroundError('forbidden', 'This is an instructor\'s own; the admin token has no account.');
    return caller.instructor;
  }

  async resolve(request: { headers: IncomingHttpHeaders; method: string }, explicitToken?: string): Promise<Caller | null> {
    const header = request.headers.authorization ?? '';
    const token = explicitToken ?? (header.startsWith('Bearer ') ? header.slice(7).trim() : '');
    if (token) return this.byToken(token);
    if (!request.headers.cookie) return null;
    const signedIn = await this.auth.api.getSession({ headers: fetchHeaders(request.headers) });
    if (!signedIn) return null;
    this.assertOwnPage(request);
    return { kind: 'instructor', instructor: signedIn.user as unknown as Instructor };
  }

  private async byToken(token: string): Promise<Caller> {
    if (secretEqual(token, this.adminToken)) return { kind: 'admin' };
    const instructor = await this.tokens.instructorFor(token);
    if (!instructor) throw new PlaygroundError('unauthorized', 'That token is unknown or was revoked.');
    return { kind: 'instructor', instructor };
  }

  /** A cookie counts only on requests from the playground's own pages (CSRF). */
  private assertOwnPage(request: { headers: IncomingHttpHeaders; method: string }): void {
    const origin = request.headers.origin;
    const fromOwnPage = origin === this.publicOrigin || (origin === undefined && (SAFE_METHODS.has(request.method) || request.headers['sec-fetch-site'] === 'same-origin'));
    if (!fromOwnPage) {
      throw new PlaygroundError('csrf_rejected', 'A signed-in request must come from the playground\'s own pages; automate with an API token instead.');
    }
  }
}

/** Whether the caller may see and run this workshop: its own instructor, or the admin. */
export function mayManage(caller: Caller, workshop: { instructorId: string }): boolean {
  return caller.kind === 'admin' || caller.instructor.id === workshop.instructorId;
}
