import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { PlaygroundError, PwdExecBody, PwdNewInstanceBody, PwdSetupBody, UploadRequest, type PwdNewSessionReply } from '@playground/contracts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { uploadMultipart } from '../http/multipart-upload.ts';
import { startSession, takeInstanceAllowance, type SessionStartDeps } from '../http/start-session.ts';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Instance } from '../generated/prisma/client.ts';
import type { Instances } from '../instances.ts';
import { formSwarm, runInInstance } from '../swarm.ts';
import { pwdInstance, pwdSession, sessionDurationMinutes } from './pwd-views.ts';

// Play with Docker's HTTP API: a second door onto the same sessions and instances (same
// limits, placement, warm pool, expiry), so a tutorial written for PWD runs here with only its
// base URL changed. Shapes are PWD's (pwd-views.ts); errors keep our JSON shape, except the
// one PWD clients look for: a full playground is 503 `{ "error": "out_of_capacity" }`.

export interface PwdRouteDeps extends SessionStartDeps {
  instances: Instances;
  commands: Pick<InstanceCommands, 'exec' | 'upload'>;
  /** PUBLIC_URL: PWD clients are told its host, and a browser is sent to its session page. */
  publicUrl: string;
  /** PWD_UPLOAD_MAX_BYTES. */
  uploadMaxBytes: number;
}

/** Where an upload lands when the client names no path: the learner's home in the instance. */
const DEFAULT_UPLOAD_DIRECTORY = '/root';

const UploadQuery = z.object({
  url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  path: UploadRequest.shape.directory.optional(),
});

type SessionParams = { Params: { id: string } };
type InstanceParams = { Params: { id: string; name: string } };

export async function registerPwdRoutes(app: FastifyInstance, deps: PwdRouteDeps): Promise<void> {
  const publicHost = new URL(deps.publicUrl).host;
  await app.register(formbody);
  await app.register(multipart, { limits: { fileSize: deps.uploadMaxBytes, files: 16, fields: 8 } });
  // navigator.sendBeacon (PWD closes the session as its page unloads) posts text/plain.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    const session = await startSession(deps, request, { ttlMinutes: sessionDurationMinutes(form['session-duration']) });
    // A browser's form post (no XHR header) goes to the session's own page.
    if (request.headers['x-requested-with'] !== 'XMLHttpRequest') return reply.redirect(`${deps.publicUrl}/p/${session.id}`, 303);
    const answer: PwdNewSessionReply = { session_id: session.id, hostname: publicHost };
    return reply.send(answer);
  });

  app.get<SessionParams>('/sessions/:id', async (request) => {
    const session = await deps.sessions.requireViewable(request.params.id);
    return pwdSession(session, await deps.instances.listVisible(session.id), publicHost);
  });

  app.delete<SessionParams>('/sessions/:id', async (request, reply) => {
    await deps.sessions.close(request.params.id);
    return reply.send({});
  });

  app.post<SessionParams>('/sessions/:id/close', async (request, reply) => {
    await deps.sessions.close(request.params.id);
    return reply.send({});
  });

  app.post<SessionParams>('/sessions/:id/instances', async (request, reply) => {
    const body = PwdNewInstanceBody.parse(request.body ?? {});
    const instance = await outOfCapacityAsPwd(reply, async () => {
      await takeInstanceAllowance(deps, request);
      return deps.instances.create(request.params.id, { hostname: body.Hostname || undefined });
    });
    return instance && reply.send(pwdInstance(instance, publicHost));
  });

  app.delete<InstanceParams>('/sessions/:id/instances/:name', async (request, reply) => {
    await deps.instances.delete(request.params.id, request.params.name);
    return reply.send({});
  });

  app.post<InstanceParams>('/sessions/:id/instances/:name/exec', async (request) => {
    const { command } = PwdExecBody.parse(request.body ?? {});
    const { exitCode } = await deps.commands.exec(request.params.id, request.params.name, command);
    return { status_code: exitCode ?? -1 };
  });

  app.post<InstanceParams>('/sessions/:id/instances/:name/uploads', async (request, reply) => {
    const query = UploadQuery.parse(request.query ?? {});
    const directory = query.path ?? DEFAULT_UPLOAD_DIRECTORY;
    if (query.url) {
      await fetchIntoInstance(deps, request.params, query.url, directory);
      return reply.send({});
    }
    const target = { sessionId: request.params.id, instanceId: request.params.name, directory };
    await uploadMultipart(request, deps.commands, target, deps.uploadMaxBytes);
    return reply.send({});
  });

  app.post<SessionParams>('/sessions/:id/setup', async (request, reply) => {
    const { instances: specs } = PwdSetupBody.parse(request.body ?? {});
    const sessionId = request.params.id;
    await deps.sessions.requireActive(sessionId);
    const made: Array<{ instance: Instance; spec: (typeof specs)[number] }> = [];
    const created = await outOfCapacityAsPwd(reply, async () => {
      for (const spec of specs) {
        await takeInstanceAllowance(deps, request);
        made.push({ instance: await deps.instances.create(sessionId, { hostname: spec.hostname || undefined }), spec });
      }
      return made;
    });
    if (!created) return reply;
    for (const { instance, spec } of made) {
      for (const command of spec.run ?? []) await runInInstance(deps.commands, sessionId, instance, command);
    }
    const managers = made.filter(({ spec }) => spec.is_swarm_manager).map(({ instance }) => instance);
    const workers = made.filter(({ spec }) => spec.is_swarm_worker && !spec.is_swarm_manager).map(({ instance }) => instance);
    await formSwarm(deps.commands, sessionId, managers, workers);
    const session = await deps.sessions.requireViewable(sessionId);
    return pwdSession(session, await deps.instances.listVisible(sessionId), publicHost);
  });
}

/** A full playground answers as PWD did, the one error its clients tell apart by body. */
async function outOfCapacityAsPwd<T>(reply: FastifyReply, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof PlaygroundError && error.code === 'no_capacity')) throw error;
    if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
    void reply.code(503).send({ error: 'out_of_capacity' });
    return undefined;
  }
}

/**
 * `?url=`: the instance downloads the file itself, so the request leaves from the learner's
 * sandbox (as their own `wget` would), never from the playground's servers.
 */
async function fetchIntoInstance(deps: PwdRouteDeps, params: { id: string; name: string }, url: string, directory: string): Promise<void> {
  const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'download';
  if (!UploadRequest.shape.fileName.safeParse(fileName).success) throw new PlaygroundError('bad_request', 'The URL does not end in a file name.');
  const script = 'mkdir -p "$1" && wget -q -O "$1/$2" "$3"';
  const { exitCode, output } = await deps.commands.exec(params.id, params.name, ['sh', '-c', script, 'upload', directory, fileName, url]);
  if (exitCode !== 0) throw new PlaygroundError('bad_request', `The instance could not download ${url}: ${output.trim() || `exit code ${exitCode}`}`);
}
