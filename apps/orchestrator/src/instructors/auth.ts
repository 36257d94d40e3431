import { createHmac } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { genericOAuth } from 'better-auth/plugins';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';

// Instructors sign in through Better Auth (email + password, and GitHub or any OpenID
// Connect provider when configured). It owns the password hashing (scrypt), the signed
// httpOnly cookie and its session rows; we own who may have an account: sign-up is closed,
// the admin creates instructors (instructors.ts), and a provider sign-in only reaches an
// account the admin made for that email.

export type InstructorAuth = ReturnType<typeof createInstructorAuth>;

export const AUTH_BASE_PATH = '/api/auth';
/** Set by registerAuthRoutes from our own resolution; whatever a client sends under this name is replaced. */
const CLIENT_ADDRESS_HEADER = 'x-playground-client-address';

type AuthConfig = Pick<
  Config,
  | 'PUBLIC_URL'
  | 'AUTH_SECRET'
  | 'AGENT_SECRET'
  | 'GITHUB_CLIENT_ID'
  | 'GITHUB_CLIENT_SECRET'
  | 'OIDC_DISCOVERY_URL'
  | 'OIDC_CLIENT_ID'
  | 'OIDC_CLIENT_SECRET'
>;

/** AUTH_SECRET, or one derived from AGENT_SECRET (never equal to it, so neither reveals the other). */
function authSecret(config: AuthConfig): string {
  return config.AUTH_SECRET ?? createHmac('sha256', config.AGENT_SECRET).update('playground instructor sign-in').digest('hex');
}

export function createInstructorAuth(db: Db, config: AuthConfig) {
  const github =
    config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET
      ? { github: { clientId: config.GITHUB_CLIENT_ID, clientSecret: config.GITHUB_CLIENT_SECRET, disableSignUp: true } }
      : {};
  const oidc =
    config.OIDC_DISCOVERY_URL && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET
      ? [
          genericOAuth({
            config: [
              {
                providerId: 'oidc',
                discoveryUrl: config.OIDC_DISCOVERY_URL,
                clientId: config.OIDC_CLIENT_ID,
                clientSecret: config.OIDC_CLIENT_SECRET,
                scopes: ['openid', 'email', 'profile'],
                disableSignUp: true,
              },
            ],
          }),
        ]
      : [];
  return betterAuth({
    appName: 'Playground',
    baseURL: config.PUBLIC_URL,
    basePath: AUTH_BASE_PATH,
    secret: authSecret(config),
    trustedOrigins: [config.PUBLIC_URL],
    database: prismaAdapter(db, { provider: 'postgresql' }),
    user: { modelName: 'instructor' },
    session: { modelName: 'instructorSession', fields: { userId: 'instructorId' }, expiresIn: 7 * 24 * 3600 },
    account: {
      modelName: 'instructorAccount',
      fields: { userId: 'instructorId' },
      // A provider sign-in joins the account the admin made for the same (verified) email.
      accountLinking: { enabled: true, trustedProviders: ['github', 'oidc'] },
    },
    verification: { modelName: 'authVerification' },
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
    socialProviders: github,
    plugins: oidc,
    rateLimit: { enabled: true, window: 60, max: 100 },
    // The client address is resolved by us (TRUSTED_PROXY rules, client-address.ts) and
    // handed over in a header of our own, so its rate limits count per client.
    advanced: { cookiePrefix: 'playground', ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] } },
    telemetry: { enabled: false },
  });
}

/** Which sign-in providers besides email + password this playground offers (for the page). */
export function signInProviders(config: AuthConfig): string[] {
  const providers: string[] = [];
  if (config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET) providers.push('github');
  if (config.OIDC_DISCOVERY_URL && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET) providers.push('oidc');
  return providers;
}

/** The request's headers as the Fetch API's Headers, which Better Auth reads. */
export function fetchHeaders(headers: FastifyRequest['headers']): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) out.append(name, String(item));
  }
  return out;
}

/** Serves Better Auth's own endpoints (/api/auth/*) from Fastify, which already parsed the body. */
export function registerAuthRoutes(
  app: FastifyInstance,
  auth: InstructorAuth,
  publicUrl: string,
  clientAddress: (request: FastifyRequest['raw']) => string,
): void {
  app.route({
    method: ['GET', 'POST'],
    url: `${AUTH_BASE_PATH}/*`,
    handler: async (request, reply) => {
      const url = new URL(request.url, publicUrl);
      const body = request.method === 'POST' && request.body !== undefined ? JSON.stringify(request.body) : undefined;
      const headers = fetchHeaders(request.headers);
      if (body !== undefined) headers.set('content-type', 'application/json');
      headers.set(CLIENT_ADDRESS_HEADER, clientAddress(request.raw));
      const response = await auth.handler(new Request(url, { method: request.method, headers, body }));
      reply.code(response.status);
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') reply.header(name, value);
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) reply.header('set-cookie', cookies);
      return reply.send(await response.text());
    },
  });
}
