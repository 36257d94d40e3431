import { AuditQuery, CreateInstanceBody, CreateSessionBody, ExecBody, NodeId, PlaygroundError, type NodeListView, type NodeView } from '@playground/contracts';
import { secretEqual } from '@playground/contracts/secret-equal';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit.ts';
import type { ClientIdentifier } from '../client-identity.ts';
import type { Config } from '../config.ts';
import type { CreationLimits } from '../creation-limits.ts';
import type { Health } from '../health.ts';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Instances } from '../instances.ts';
import type { LabCatalog } from '../labs.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Nodes } from '../nodes.ts';
import type { OriginPolicy } from '../origin-policy.ts';
import type { PortUrls } from '../port-urls.ts';
import type { TemplateCatalog, TemplateProvisioner } from '../session-templates.ts';
import type { Sessions } from '../sessions.ts';
import type { InstanceUsageStore } from '../instance-usage.ts';
import { instanceView, sessionView } from '../views.ts';
import { createErrorHandler, sendError } from './errors.ts';
import { registerPwdRoutes } from '../pwd/pwd-routes.ts';
import { registerDownloadRoutes } from './download-routes.ts';
import type { NodeStreams } from '../gateway/node-streams.ts';
import { registerFileRoutes } from './file-routes.ts';
import { registerLabRoutes } from './lab-routes.ts';
import { startSession, takeInstanceAllowance } from './start-session.ts';
import { registerWorkshopRoutes, type WorkshopRouteDeps } from './workshop-routes.ts';
import { registerAuthRoutes, type InstructorAuth } from '../instructors/auth.ts';

// The public REST API, /api/v1. Handlers are thin: parse, call the lifecycle services, view.

export interface ApiDeps {
  /** Live usage figures of running instances, for the session view's meters. */
  usage: InstanceUsageStore;
  config: Pick<Config, 'MAX_INSTANCES_PER_SESSION' | 'ADMIN_TOKEN' | 'PUBLIC_URL' | 'PWD_UPLOAD_MAX_BYTES' | 'FILES_UPLOAD_MAX_BYTES' | 'FILES_EDITOR_MAX_BYTES'>;
  logger: Logger;
  sessions: Sessions;
  instances: Instances;
  nodes: Nodes;
  /** Issues a node's agent token (revoking its earlier ones). */
  nodeCredentials: { rotateCredential(nodeId: string): Promise<{ nodeId: string; token: string; generation: number }> };
  health: Health;
  urls: PortUrls;
  identify: ClientIdentifier;
  originPolicy: OriginPolicy;
  creationLimits: CreationLimits;
  labs: LabCatalog;
  templates: TemplateCatalog;
  templateProvisioner: Pick<TemplateProvisioner, 'start'>;
  metrics: Pick<Metrics, 'registry' | 'errors'>;
  audit: Pick<AuditLog, 'recent'>;
  commands: Pick<InstanceCommands, 'exec' | 'upload' | 'listFiles' | 'readFile' | 'requireRunning'>;
  /** Byte streams over the agents' links: archives for "Download my work". */
  streams: Pick<NodeStreams, 'openArchive'>;
  /** How long close-all waits for the nodes to confirm. */
  closeAllTimeoutMs?: number;
  /** The client's address (TRUSTED_PROXY rules), for Better Auth's rate limits. */
  clientAddress: (request: FastifyRequest['raw']) => string;
  /** Instructors' sign-in (Better Auth, /api/auth/*). */
  auth: InstructorAuth;
  /** Instructors, their tokens, workshops and their seats and classroom. */
  workshopParts: Omit<WorkshopRouteDeps, 'publicUrl' | 'requireAdmin' | 'instances' | 'urls'>;
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const { config, sessions, instances, urls } = deps;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

  // An empty body counts as `{}`; malformed JSON is a 400 with our error shape.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new PlaygroundError('bad_request', 'The request body is not valid JSON.'), undefined);
    }
  });
  app.setErrorHandler(createErrorHandler(deps.logger, (code) => deps.metrics.errors.inc({ code })));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new PlaygroundError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`)),
  );

  const maxInstances = config.MAX_INSTANCES_PER_SESSION;

  // CORS with credentials for the foreign origins the operator allowed (EMBED_ORIGINS,
  // ALLOWED_ORIGINS) and no other: embed.js on their pages calls this API cross-site.
  app.addHook('onRequest', async (request, reply) => {
    if (deps.originPolicy(request.headers.origin).kind !== 'allowed') return;
    reply
      .header('Access-Control-Allow-Origin', request.headers.origin)
      .header('Access-Control-Allow-Credentials', 'true')
      .header('Vary', 'Origin');
    if (request.method !== 'OPTIONS') return;
    return reply
      .header('Access-Control-Allow-Methods', 'GET, POST, DELETE')
      .header('Access-Control-Allow-Headers', 'content-type, x-requested-with')
      .header('Access-Control-Max-Age', '600')
      .code(204)
      .send();
  });

  registerLabRoutes(app, deps.labs);
  // Play with Docker's API in a scope of its own: its form and multipart bodies stay there.
  app.register((scope) =>
    registerPwdRoutes(scope, { ...deps, publicUrl: config.PUBLIC_URL, uploadMaxBytes: config.PWD_UPLOAD_MAX_BYTES }),
  );
  registerDownloadRoutes(app, deps);
  app.register((scope) => registerFileRoutes(scope, { ...deps, uploadMaxBytes: config.FILES_UPLOAD_MAX_BYTES, editorMaxBytes: config.FILES_EDITOR_MAX_BYTES }));

  app.get('/api/v1/health', async (_request, reply) => {
    const health = await deps.health.check();
    return reply.code(health.ok ? 200 : 503).send(health);
  });

  app.get('/api/v1/templates', async () => ({ templates: deps.templates.list() }));

  app.post('/api/v1/sessions', async (request, reply) => {
    const body = CreateSessionBody.parse(request.body ?? {});
    const template = body.template === undefined ? undefined : deps.templates.require(body.template);
    if (template && template.instances.length > maxInstances) {
      throw new PlaygroundError(
        'bad_request',
        `The template "${template.id}" needs ${template.instances.length} instances; this playground allows ${maxInstances} per session.`,
      );
    }
    const session = await startSession(deps, request, { language: body.language });
    if (template) deps.templateProvisioner.start(session.id, template);
    return reply.code(201).send(sessionView(session, [], maxInstances, urls));
  });

  /** Admin calls need `Authorization: Bearer <ADMIN_TOKEN>`; without it → 401. */
  const requireAdmin = (request: FastifyRequest): void => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !secretEqual(token, config.ADMIN_TOKEN)) {
      throw new PlaygroundError('unauthorized', 'This needs the admin token (Authorization: Bearer …).');
    }
  };

  registerAuthRoutes(app, deps.auth, config.PUBLIC_URL, deps.clientAddress);
  registerWorkshopRoutes(app, { ...deps.workshopParts, publicUrl: config.PUBLIC_URL, requireAdmin, instances, urls });

  // A lost session (its node stopped responding) answers 200 with status `lost`, so the page can explain.
  app.get<{ Params: { id: string } }>('/api/v1/sessions/:id', async (request) => {
    const session = await sessions.requireViewable(request.params.id);
    const visible = await instances.listVisible(session.id);
    return sessionView(session, visible, maxInstances, urls, await deps.usage.read(visible));
  });

  app.delete<{ Params: { id: string } }>('/api/v1/sessions/:id', async (request, reply) => {
    await sessions.close(request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/api/v1/sessions/:id/instances', async (request, reply) => {
    const body = CreateInstanceBody.parse(request.body ?? {});
    await takeInstanceAllowance(deps, request);
    const instance = await instances.create(request.params.id, { hostname: body.hostname });
    return reply.code(201).send(instanceView(instance, urls));
  });

  // A lab's setup and checks: the same capability as the session's terminal, without a TTY.
  app.post<{ Params: { id: string; instanceId: string } }>('/api/v1/sessions/:id/instances/:instanceId/exec', async (request) => {
    const { script } = ExecBody.parse(request.body ?? {});
    return deps.commands.exec(request.params.id, request.params.instanceId, ['bash', '-c', script]);
  });

  app.delete<{ Params: { id: string; instanceId: string } }>(
    '/api/v1/sessions/:id/instances/:instanceId',
    async (request, reply) => {
      await instances.delete(request.params.id, request.params.instanceId);
      return reply.code(204).send();
    },
  );

  // Prometheus scrapes with the admin token; the edge does not route /metrics, so it is
  // reachable only on the orchestrator's own (internal) port.
  app.get('/metrics', async (request, reply) => {
    requireAdmin(request);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get('/api/v1/nodes', async (request): Promise<NodeListView> => {
    requireAdmin(request);
    return { nodes: await deps.nodes.list() };
  });

  app.post<{ Params: { id: string } }>('/api/v1/nodes/:id/drain', async (request): Promise<NodeView> => {
    requireAdmin(request);
    return deps.nodes.drain(request.params.id);
  });

  app.post<{ Params: { id: string } }>('/api/v1/nodes/:id/undrain', async (request): Promise<NodeView> => {
    requireAdmin(request);
    return deps.nodes.undrain(request.params.id);
  });

  // The token is shown once, here; the orchestrator can always derive it again, so losing
  // it only means issuing the next one (which also cuts the node's current link).
  app.post<{ Params: { id: string } }>('/api/v1/nodes/:id/token', async (request) => {
    requireAdmin(request);
    const nodeId = NodeId.safeParse(request.params.id);
    if (!nodeId.success) throw new PlaygroundError('bad_request', `"${request.params.id}" is not a node id (${nodeId.error.issues[0]!.message}).`);
    return deps.nodeCredentials.rotateCredential(nodeId.data);
  });

  app.get('/api/v1/admin/sessions', async (request) => {
    requireAdmin(request);
    return { sessions: await sessions.listLive() };
  });

  app.get('/api/v1/admin/audit', async (request) => {
    requireAdmin(request);
    return { events: await deps.audit.recent(AuditQuery.parse(request.query ?? {})) };
  });

  app.post('/api/v1/admin/sessions/close-all', async (request, reply) => {
    requireAdmin(request);
    const result = await sessions.closeAll(deps.closeAllTimeoutMs ?? 60_000);
    return reply.code(200).send(result);
  });

  return app;
}
