import {
  BroadcastBody,
  CreateInstructorBody,
  CreateTokenBody,
  CreateWorkshopBody,
  ExtendBody,
  HelpAnswerBody,
  JoinWorkshopBody,
  UploadLabBody,
  PushFileBody,
  WorkshopExecBody,
  newTokenSecret,
  type JoinedView,
  type MeView,
} from '@playground/contracts';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiTokens } from '../instructors/api-tokens.ts';
import type { Callers } from '../instructors/callers.ts';
import type { Instructors } from '../instructors/instructors.ts';
import type { Instances } from '../instances.ts';
import type { PortUrls } from '../port-urls.ts';
import { instanceView } from '../views.ts';
import type { Classroom } from '../workshops/classroom.ts';
import type { Seats } from '../workshops/seats.ts';
import type { Workshops } from '../workshops/workshops.ts';
import { workshopLab } from '../workshops/workshop-views.ts';
import type { UploadedLabs } from '../uploaded-labs.ts';
import type { LabCatalog } from '../labs.ts';

// Instructors (/api/v1/instructors, /api/v1/me) and workshops (/api/v1/workshops, and the
// learner's /api/v1/sessions/:id/workshop). Handlers parse, ask who calls, and hand over.

export interface WorkshopRouteDeps {
  publicUrl: string;
  requireAdmin(request: FastifyRequest): void;
  callers: Callers;
  instructors: Instructors;
  tokens: ApiTokens;
  workshops: Workshops;
  seats: Seats;
  classroom: Classroom;
  instances: Pick<Instances, 'listVisible'>;
  urls: PortUrls;
  uploadedLabs: UploadedLabs;
  /** Sign-in methods besides email + password that this playground offers (auth.ts signInProviders). */
  signInProviders: string[];
  labs: Pick<LabCatalog, 'get'>;
}

/** The learner's browser key: the same browser finds its seat again. Sent only to the join routes. */
const LEARNER_COOKIE = 'playground_learner';
const LEARNER_COOKIE_DAYS = 30;

type WithId = { Params: { id: string } };
type WithLearner = { Params: { id: string; learnerId: string } };

export function registerWorkshopRoutes(app: FastifyInstance, deps: WorkshopRouteDeps): void {
  const { callers, workshops, classroom } = deps;
  const secureCookies = deps.publicUrl.startsWith('https:');

  app.post('/api/v1/instructors', async (request, reply) => {
    deps.requireAdmin(request);
    return reply.code(201).send(await deps.instructors.create(CreateInstructorBody.parse(request.body ?? {})));
  });

  app.get('/api/v1/instructors', async (request) => {
    deps.requireAdmin(request);
    return { instructors: await deps.instructors.list() };
  });

  // What the sign-in page offers: email + password always, GitHub/OIDC when configured.
  app.get('/api/v1/sign-in/providers', async () => ({ providers: ['email', ...deps.signInProviders] }));

  app.get('/api/v1/me', async (request): Promise<MeView> => {
    const caller = await callers.require(request);
    if (caller.kind === 'admin') return { kind: 'admin', id: null, email: null, name: 'Administrator' };
    return { kind: 'instructor', id: caller.instructor.id, email: caller.instructor.email, name: caller.instructor.name };
  });

  app.get('/api/v1/me/tokens', async (request) => ({ tokens: await deps.tokens.list((await callers.requireInstructor(request)).id) }));

  app.post('/api/v1/me/tokens', async (request, reply) => {
    const instructor = await callers.requireInstructor(request);
    return reply.code(201).send(await deps.tokens.issue(instructor.id, CreateTokenBody.parse(request.body ?? {}).name));
  });

  app.delete<{ Params: { tokenId: string } }>('/api/v1/me/tokens/:tokenId', async (request, reply) => {
    await deps.tokens.revoke((await callers.requireInstructor(request)).id, request.params.tokenId);
    return reply.code(204).send();
  });

  app.get('/api/v1/workshops', async (request) => workshops.list(await callers.require(request)));

  app.post('/api/v1/workshops', async (request, reply) => {
    const caller = await callers.require(request);
    const workshop = await workshops.create(caller, CreateWorkshopBody.parse(request.body ?? {}));
    return reply.code(201).send(await workshops.view(caller, workshop.id, classroom));
  });

  app.get<WithId>('/api/v1/workshops/:id', async (request) => workshops.view(await callers.require(request), request.params.id, classroom));

  app.post<WithId>('/api/v1/workshops/:id/prepare', async (request, reply) => {
    const caller = await callers.require(request);
    await deps.seats.prepare(await workshops.requireRunning(caller, request.params.id), { partial: false });
    return reply.code(202).send(await workshops.view(caller, request.params.id, classroom));
  });

  app.post<WithId>('/api/v1/workshops/:id/broadcast', async (request) =>
    classroom.broadcast(await callers.require(request), request.params.id, BroadcastBody.parse(request.body ?? {}).message),
  );

  app.post<WithId>('/api/v1/workshops/:id/files', async (request) => ({
    results: await classroom.pushFile(await callers.require(request), request.params.id, PushFileBody.parse(request.body ?? {})),
  }));

  app.post<WithId>('/api/v1/workshops/:id/exec', async (request) => ({
    results: await classroom.exec(await callers.require(request), request.params.id, WorkshopExecBody.parse(request.body ?? {}).command),
  }));

  app.post<WithId>('/api/v1/workshops/:id/extend', async (request) => {
    const caller = await callers.require(request);
    const body = ExtendBody.parse(request.body ?? {});
    await workshops.extend(caller, request.params.id, body.minutes, body.learnerId);
    return workshops.view(caller, request.params.id, classroom);
  });

  app.post<WithLearner>('/api/v1/workshops/:id/learners/:learnerId/end', async (request, reply) => {
    await workshops.endLearner(await callers.require(request), request.params.id, request.params.learnerId);
    return reply.code(204).send();
  });

  app.post<WithLearner>('/api/v1/workshops/:id/learners/:learnerId/help', async (request) => {
    const caller = await callers.require(request);
    await classroom.requestHelp(caller, request.params.id, request.params.learnerId);
    return workshops.view(caller, request.params.id, classroom);
  });

  app.delete<WithId>('/api/v1/workshops/:id', async (request, reply) => {
    await workshops.end(await callers.require(request), request.params.id);
    return reply.code(204).send();
  });

  app.get<WithId>('/api/v1/workshops/:id/attendance.csv', async (request, reply) => {
    const csv = await workshops.attendance(await callers.require(request), request.params.id, (seat) => classroom.connectedMs(seat));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="attendance-${request.params.id}.csv"`)
      .send(csv);
  });

  // ─── Labs instructors upload ─────────────────────────────────────────────────────────

  app.post('/api/v1/labs', async (request, reply) => {
    const instructor = await callers.requireInstructor(request);
    const body = UploadLabBody.parse(request.body ?? {});
    const lab = await deps.uploadedLabs.upload(instructor.id, body.slug, body.markdown);
    return reply.code(201).send(await deps.labs.get(lab.slug, [lab.language]));
  });

  app.get('/api/v1/me/labs', async (request) => ({ labs: await deps.uploadedLabs.mine((await callers.requireInstructor(request)).id) }));

  app.delete<{ Params: { slug: string }; Querystring: { lang?: string } }>('/api/v1/labs/:slug', async (request, reply) => {
    const caller = await callers.require(request);
    await deps.uploadedLabs.remove(caller.kind === 'admin' ? null : caller.instructor.id, request.params.slug, request.query.lang);
    return reply.code(204).send();
  });

  // ─── Learners: no account ────────────────────────────────────────────────────────────

  app.get<{ Params: { code: string } }>('/api/v1/workshops/by-code/:code', async (request) => workshops.byCode(request.params.code));

  app.post('/api/v1/workshops/join', async (request, reply) => {
    const body = JoinWorkshopBody.parse(request.body ?? {});
    const workshop = await workshops.findByCode(body.code);
    const key = parseCookie(request.headers.cookie ?? '')[LEARNER_COOKIE] || newTokenSecret();
    const { seat, prepared, returning } = await deps.seats.join(workshop, body.name, key);
    const instances = await deps.instances.listVisible(seat.sessionId);
    const answer: JoinedView = {
      learnerId: seat.id,
      sessionId: seat.sessionId,
      workshop: { id: workshop.id, title: workshop.title },
      lab: workshopLab(workshop),
      instances: instances.map((instance) => instanceView(instance, deps.urls)),
      prepared,
    };
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: LEARNER_COOKIE,
        value: key,
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: '/api/v1/workshops',
        maxAge: LEARNER_COOKIE_DAYS * 24 * 3600,
      }),
    );
    return reply.code(returning ? 200 : 201).send(answer);
  });

  app.get<WithId>('/api/v1/sessions/:id/workshop', async (request) => classroom.learnerView(request.params.id));

  app.post<WithId>('/api/v1/sessions/:id/workshop/help', async (request) =>
    classroom.answerHelp(request.params.id, HelpAnswerBody.parse(request.body ?? {}).allow),
  );
}
