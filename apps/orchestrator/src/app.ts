import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server as EngineServer } from 'engine.io';
import { Server as SocketIoServer } from 'socket.io';
import { REPLICA_HEADER } from '@playground/contracts';
import { AuditLog } from './audit.ts';
import { createClientAddressResolver } from './client-address.ts';
import { createClientIdentity } from './client-identity.ts';
import type { Config } from './config.ts';
import { CreationLimits } from './creation-limits.ts';
import { createDb } from './db.ts';
import { AgentLinks } from './gateway/agent-links.ts';
import { NodeStreams } from './gateway/node-streams.ts';
import { ReplicaStreams } from './gateway/replica-streams.ts';
import { LinkAffinity } from './gateway/link-affinity.ts';
import type { LinkStream } from '@playground/contracts/link-streams';
import { AgentReports } from './gateway/agent-reports.ts';
import { LinkRegistry } from './gateway/link-registry.ts';
import { LinkedNodes } from './gateway/linked-nodes.ts';
import { NodeLinks } from './gateway/node-links.ts';
import { TerminalGateway } from './gateway/terminal-gateway.ts';
import { Health } from './health.ts';
import { buildApi } from './http/api.ts';
import { InstanceCommands } from './instance-commands.ts';
import { labCatalog } from './labs.ts';
import { loadLabs } from '@playground/labs';
import { UploadedLabs } from './uploaded-labs.ts';
import { Metrics } from './metrics.ts';
import { Instances } from './instances.ts';
import { InstanceUsageStore } from './instance-usage.ts';
import type { Logger } from './logger.ts';
import { NodeQueues } from './node-queues.ts';
import { NodeCredentials } from './node-credentials.ts';
import { Nodes } from './nodes.ts';
import { createOriginPolicy } from './origin-policy.ts';
import { Placement } from './placement.ts';
import { PortProxy } from './port-proxy.ts';
import { PortUrls } from './port-urls.ts';
import { PwdSockets } from './pwd/pwd-socket.ts';
import { Reaper } from './reaper/reaper.ts';
import { SweepLease } from './reaper/sweep-lease.ts';
import { reaperTasks } from './reaper/tasks.ts';
import { createRedis, waitForRedis } from './redis.ts';
import { createHttpServer } from './server.ts';
import { loadTemplateCatalog, TemplateProvisioner } from './session-templates.ts';
import { Sessions } from './sessions.ts';
import { ApiTokens } from './instructors/api-tokens.ts';
import { createInstructorAuth, signInProviders } from './instructors/auth.ts';
import { Callers } from './instructors/callers.ts';
import { Instructors } from './instructors/instructors.ts';
import { Classroom } from './workshops/classroom.ts';
import { Seats } from './workshops/seats.ts';
import { WorkshopWatchAccess } from './workshops/watch-access.ts';
import { Workshops } from './workshops/workshops.ts';
import { SshGateway } from './ssh/ssh-gateway.ts';

// Builds and connects every part of the orchestrator, explicitly. main.ts calls this with
// the parsed config; tests call it with their own (unique database, queue prefix, port 0).

export interface OrchestratorOptions {
  /** BullMQ key prefix; agents must use the same. Tests pass a unique one. */
  queuePrefix?: string;
  /** Tests drive the reaper by hand with `reaper.runOnce()`. */
  startReaper?: boolean;
  closeAllTimeoutMs?: number;
}

export type Orchestrator = Awaited<ReturnType<typeof buildOrchestrator>>;

export async function buildOrchestrator(config: Config, logger: Logger, options: OrchestratorOptions = {}) {
  const db = createDb(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, logger);
  const audit = new AuditLog(db, logger);
  const queues = new NodeQueues(redis, config.REDIS_URL, logger, options.queuePrefix);
  const placement = new Placement(db, config.NODE_DOWN_AFTER_MS, Math.random, config.INSTANCE_MEMORY_MB * 1024 * 1024);
  const urls = new PortUrls(config);

  // Socket.IO runs on an engine we feed ourselves, so the dispatcher decides what reaches it.
  const engine = new EngineServer({ maxHttpBufferSize: 1e6, pingInterval: 20_000, pingTimeout: 20_000 });
  const io = new SocketIoServer({ serveClient: false });
  io.bind(engine);
  // Replicas share rooms and server-side events through Redis (gateway/node-links.ts). The
  // adapter's connections queue while Redis is away instead of failing the emit.
  const prefix = options.queuePrefix ?? 'playground';
  const replicaId = randomUUID();
  const adapterRedis = [redis.duplicate({ enableOfflineQueue: true }), redis.duplicate({ enableOfflineQueue: true })] as const;
  for (const connection of adapterRedis) connection.on('error', (error: Error) => logger.debug({ err: error.message }, 'socketio_adapter.redis_error'));
  io.adapter(createAdapter(adapterRedis[0], adapterRedis[1], { key: `${prefix}:socket.io`, publishOnSpecificResponseChannel: true }));

  // Agents' links first: the terminal gateway relays over them, and what agents report is
  // recorded once the modules that own the records exist (AgentReports, subscribed below).
  const credentials = new NodeCredentials(db, config.AGENT_SECRET);
  const linkRegistry = new LinkRegistry(redis, prefix, replicaId, logger.child({ component: 'agents' }));
  const agents = new AgentLinks(io, audit, logger.child({ component: 'agents' }), credentials, linkRegistry,
    config.publiclyReachable && !config.ALLOW_UNSAFE_SECURITY_MODE,
  );
  const links = new NodeLinks(agents, linkRegistry);
  // Who calls: instructors (signed in or by token) and the admin; instructors may watch
  // their learners' terminals, so the callers come before the terminal gateway.
  const auth = createInstructorAuth(db, config);
  const tokens = new ApiTokens(db);
  const callers = new Callers(auth, tokens, config.ADMIN_TOKEN, config.PUBLIC_URL);
  const terminals = new TerminalGateway(
    io,
    db,
    agents,
    links,
    logger.child({ component: 'terminals' }),
    {
      inputPerSecond: config.TERMINAL_INPUT_EVENTS_PER_SECOND,
      resizePerSecond: config.TERMINAL_RESIZE_EVENTS_PER_SECOND,
      shellsPerInstance: config.TERMINAL_SHELLS_PER_INSTANCE,
    },
    new WorkshopWatchAccess(db, callers),
  );
  const metrics = new Metrics(db, queues, terminals);
  const sessions = new Sessions(db, queues, placement, audit, terminals, config);
  const instances = new Instances(db, queues, sessions, audit, terminals, agents, config, metrics.instanceCreate);
  const nodes = new Nodes(db, queues, sessions, audit, terminals, logger.child({ component: 'nodes' }));
  const usage = new InstanceUsageStore(redis, options.queuePrefix ?? 'playground', config.USAGE_WARN_THRESHOLD, logger.child({ component: 'usage' }));
  agents.subscribe(new AgentReports(db, nodes, instances, usage, logger.child({ component: 'agent-reports' })));
  // Byte streams to instance ports over the agents' links (port traffic, ssh -L).
  // A node's link may be on another replica: its streams are carried through that one.
  const replicaStreams = new ReplicaStreams(redis, redis.duplicate({ enableOfflineQueue: true }), prefix, replicaId,
    (nodeId, request): Promise<LinkStream> => nodeStreams.openHere(nodeId, request), logger.child({ component: 'replica-streams' }),
  );
  const nodeStreams = new NodeStreams(logger.child({ component: 'node-streams' }), { replicaId, registry: linkRegistry, relay: replicaStreams });
  agents.subscribe(nodeStreams);

  const shippedLabs = await loadLabs(config.LABS_DIR);
  const uploadedLabs = new UploadedLabs(db, new Set(shippedLabs.map((lab) => lab.slug)));
  const labs = labCatalog(shippedLabs, uploadedLabs);
  const commands = new InstanceCommands(db, sessions, links, config.PWD_EXEC_TIMEOUT_MS);
  const templateProvisioner = new TemplateProvisioner(instances, commands, logger.child({ component: 'templates' }));
  const workshops = new Workshops(db, sessions, audit, config, labs);
  const seats = new Seats(db, sessions, placement, templateProvisioner, audit, logger.child({ component: 'workshops' }), metrics.workshopJoins);
  const classroom = new Classroom(db, workshops, commands, terminals, audit, logger.child({ component: 'classroom' }));
  terminals.onActivity(classroom);
  const health = new Health(db, redis, new LinkedNodes(linkRegistry, replicaId, agents, replicaStreams));
  const clientAddress = createClientAddressResolver(config.TRUSTED_PROXY);
  const originPolicy = createOriginPolicy(
    config.PUBLIC_URL,
    [...config.ALLOWED_ORIGINS, ...config.EMBED_ORIGINS.origins],
    config.EMBED_ORIGINS.any,
  );
  const api = buildApi({
    streams: nodeStreams,
    config,
    logger,
    sessions,
    instances,
    usage,
    nodes,
    nodeCredentials: agents,
    health,
    urls,
    identify: createClientIdentity(db, clientAddress, logger.child({ component: 'clients' })),
    clientAddress,
    originPolicy,
    creationLimits: new CreationLimits(redis, options.queuePrefix ?? 'playground', config, logger.child({ component: 'rate-limits' })),
    closeAllTimeoutMs: options.closeAllTimeoutMs,
    labs,
    commands,
    templates: await loadTemplateCatalog(config.TEMPLATES_DIR),
    metrics,
    audit,
    templateProvisioner,
    auth,
    workshopParts: { callers, instructors: new Instructors(db, auth, tokens, audit), tokens, workshops, seats, classroom, uploadedLabs, labs, signInProviders: signInProviders(config) },
  });
  await api.ready();

  const portProxy = new PortProxy(db, logger.child({ component: 'ports' }), nodeStreams, {
    maxConnectionsPerInstance: config.PORT_PROXY_MAX_CONNECTIONS_PER_INSTANCE,
    connectTimeoutMs: config.PORT_PROXY_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: config.PORT_PROXY_IDLE_TIMEOUT_MS,
  });
  const pwdSockets = new PwdSockets(db, terminals, logger.child({ component: 'pwd' }), config.PWD_WS_MAX_FRAME_BYTES);
  const affinity = new LinkAffinity(db, linkRegistry, replicaId, logger.child({ component: 'terminals' }));
  const server = createHttpServer({ portProxy, engine, api, pwdSockets, affinity, logger: logger.child({ component: 'http' }) });
  // Which replica answered: for an operator reading a trace, and for the replica tests (a
  // WebSocket's handshake names it too).
  server.prependListener('request', (_request, response) => response.setHeader(REPLICA_HEADER, replicaId));
  engine.on('headers', (headers: Record<string, string>) => (headers[REPLICA_HEADER] = replicaId));
  const ssh = new SshGateway({ db, terminals, commands, audit, logger: logger.child({ component: 'ssh' }), registry: metrics.registry, streams: nodeStreams }, {
    host: config.SSH_HOST,
    port: config.SSH_PORT,
    hostKeyPath: config.SSH_HOST_KEY_PATH,
    maxConnectionsPerInstance: config.SSH_MAX_CONNECTIONS_PER_INSTANCE,
    idleTimeoutMs: config.SSH_IDLE_TIMEOUT_MS,
    connectTimeoutMs: config.PORT_PROXY_CONNECT_TIMEOUT_MS,
  });
  const reaper = new Reaper(
    reaperTasks({
      db,
      redis,
      queues,
      sessions,
      instances,
      nodes,
      links: agents,
      nodeDownAfterMs: config.NODE_DOWN_AFTER_MS,
      instanceCreateTimeoutMs: config.INSTANCE_CREATE_TIMEOUT_MS,
      seats,
      workshops,
      workshopPrepareLeadMs: config.WORKSHOP_PREPARE_LEAD_MINUTES * 60_000,
    }),
    config.REAPER_INTERVAL_MS,
    logger.child({ component: 'reaper' }),
    // Long enough for any one task between renewals; a dead holder is replaced after it.
    new SweepLease(redis, prefix, replicaId, Math.max(5 * config.REAPER_INTERVAL_MS, 15_000)),
    metrics.registry,
  );

  // Start even when Redis is down (it recovers on its own), but do not race its first connect.
  if (!(await waitForRedis(redis, 2_000))) logger.warn('redis.not_ready_at_start');

  async function listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.ORCHESTRATOR_PORT, config.ORCHESTRATOR_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await ssh.listen();
    replicaStreams.start();
    if (options.startReaper !== false) reaper.start();
    const address = server.address() as AddressInfo;
    logger.info({ host: address.address, port: address.port }, 'orchestrator.listening');
    return address;
  }

  /** Stops serving and releases every connection. Sessions stay as they are: a restart loses nothing. */
  async function close(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await reaper.stop();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    engine.close();
    portProxy.close();
    pwdSockets.close();
    await ssh.close();
    await replicaStreams.close();
    server.closeAllConnections();
    await closed;
    await api.close();
    await queues.close();
    await db.$disconnect();
    for (const connection of adapterRedis) connection.disconnect();
    redis.disconnect();
  }

  return { config, db, redis, queues, sessions, instances, nodes, agents, links, replicaId, terminals, metrics, reaper, server, io, workshops, seats, classroom, ssh, listen, close };
}
