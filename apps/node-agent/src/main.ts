import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig, type Config } from './config.ts';
import { createDockerClient } from './docker-client.ts';
import { Heartbeat } from './heartbeat.ts';
import { DockerInstanceProvisioner } from './instances/docker-instance-provisioner.ts';
import { engineRemapsUsers, needsRemappedEngine, SECURITY_MODE_SUMMARY } from './instances/isolation.ts';
import { CpuAbuseMonitor } from './instances/cpu-abuse-monitor.ts';
import { InstanceCommands } from './instances/instance-commands.ts';
import { InstanceFiles } from './instances/instance-files.ts';
import { InstanceResources } from './instances/instance-resources.ts';
import { InstanceWatcher } from './instances/instance-watcher.ts';
import { UsageSampler } from './instances/usage-sampler.ts';
import { WarmPool } from './instances/warm-pool.ts';
import { LifecycleWorker } from './jobs/worker.ts';
import { NodeAnnouncer } from './node-announcement.ts';
import { OrchestratorLink } from './orchestrator-link.ts';
import { PortDialer } from './ports/port-dialer.ts';
import { InstanceArchives } from './instances/instance-archives.ts';
import { PortScanner } from './ports/port-scanner.ts';
import { reconcileNode } from './reconcile.ts';
import { RelayPorts } from './terminals/relay-shell.ts';
import { dockerShellFactory } from './terminals/shell.ts';
import { AgentMetrics } from './metrics.ts';
import { TerminalManager } from './terminals/terminal-manager.ts';
import type { StreamDialer } from '@playground/contracts/link-streams';

// Builds the node agent from its parts and connects them. No database credentials here: the
// agent speaks only to Redis (its queue, heartbeats), the orchestrator and its Docker engine.

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
const logger = pino({ name: 'node-agent', level: config.LOG_LEVEL }).child({ nodeId: config.NODE_ID });

const docker = createDockerClient(config.DOCKER_HOST);
try {
  await docker.ping();
} catch (err) {
  logger.fatal({ dockerHost: config.DOCKER_HOST ?? 'unix:///var/run/docker.sock', err: String(err) }, 'docker.unreachable');
  process.exit(1);
}

// The safe mode depends on the engine: refuse to hand out instances that would not be isolated.
if (needsRemappedEngine(config.SECURITY_MODE) && !engineRemapsUsers(await docker.info())) {
  logger.fatal(
    { securityMode: config.SECURITY_MODE },
    'security.engine_not_remapped: SECURITY_MODE=userns needs a Docker engine started with userns-remap ' +
      '(infra/setup.sh starts one so; or add "userns-remap": "default" to its daemon.json and restart it)',
  );
  process.exit(1);
}
logger.info({ securityMode: config.SECURITY_MODE }, `security mode ${config.SECURITY_MODE}: ${SECURITY_MODE_SUMMARY[config.SECURITY_MODE]}`);

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });

// The parts, each built from the ones before it.
const metrics = new AgentMetrics(config.NODE_ID);
// Shells reach their instance's terminal relay at the address port streams use.
const relayPorts = new RelayPorts();
let addressOf: (instanceId: string) => Promise<string | null> = async () => null; // set once the port dialer exists
const terminals = new TerminalManager({
  openShell: dockerShellFactory(docker, {
    addressOf: (instanceId) => addressOf(instanceId),
    relayPorts,
    maxPendingInputBytes: config.TERMINAL_MAX_PENDING_INPUT_BYTES,
    logger,
  }),
  replayBytes: config.TERMINAL_REPLAY_BYTES,
  windowBytes: config.TERMINAL_WINDOW_BYTES,
  logger,
  onOutputBytes: (bytes) => metrics.terminalBytes.inc(bytes),
  idleCloseMs: Math.round(config.TERMINAL_SHELL_IDLE_MINUTES * 60_000),
  onIdleClosed: () => metrics.terminalsIdleClosed.inc(),
});

const resources = new InstanceResources({
  docker,
  nodeId: config.NODE_ID,
  image: config.INSTANCE_IMAGE,
  securityMode: config.SECURITY_MODE,
  ociRuntime: config.OCI_RUNTIME,
  mirrorPort: config.MIRROR_PORT,
  diskBytes: Math.round(config.INSTANCE_DISK_GB * 1024 ** 3),
  readyTimeoutMs: config.INSTANCE_READY_TIMEOUT_MS,
  sharedEngine: config.INSTANCE_SHARED_ENGINE,
  logger,
});

const pool =
  config.WARM_POOL_SIZE > 0
    ? new WarmPool({ resources, size: config.WARM_POOL_SIZE, capacity: config.CAPACITY_INSTANCES, checkIntervalMs: config.WARM_POOL_CHECK_INTERVAL_MS, logger })
    : undefined;

const provisioner = new DockerInstanceProvisioner({
  resources,
  pool,
  logger,
  onRemoving: (instanceId) => terminals.closeInstance(instanceId, 'the instance was deleted'),
  // The shell starts as soon as the instance is ready, so its prompt is waiting in the replay
  // buffer when the learner's terminal attaches.
  onReady: (instanceId) => terminals.prewarm(instanceId),
});

const worker = new LifecycleWorker({
  nodeId: config.NODE_ID,
  provisioner,
  connection: redis,
  concurrency: config.JOB_CONCURRENCY,
  logger,
  onJobDone: (name, outcome, seconds) => metrics.jobs.observe({ name, outcome }, seconds),
});

const announcer = new NodeAnnouncer({
  docker,
  provisioner,
  pool,
  nodeId: config.NODE_ID,
  name: config.NODE_NAME,
  capacityInstances: config.CAPACITY_INSTANCES,
  capacityMemoryMb: config.CAPACITY_MEMORY_MB,
});
const announcement = () => announcer.announce();
const heartbeat = new Heartbeat({ redis, nodeId: config.NODE_ID, intervalMs: config.HEARTBEAT_INTERVAL_MS, announcement, logger });

// What a byte stream from the orchestrator connects to: a port of an instance, or an archive of it.
const portDialer = new PortDialer(docker, () => provisioner.listInstances(), logger);
addressOf = (instanceId) => portDialer.addressOf(instanceId);
const archives = new InstanceArchives(docker, () => provisioner.listInstances(), logger.child({ component: 'archives' }));
const dialStream: StreamDialer = (request) => ('archive' in request ? archives.open(request) : portDialer.dial(request));

// Made now, dialled last (link.connect below), once the handlers it calls exist.
const link = new OrchestratorLink({
  urls: config.ORCHESTRATOR_URL,
  nodeId: config.NODE_ID,
  token: config.AGENT_TOKEN,
  securityMode: config.SECURITY_MODE,
  terminals,
  commands: new InstanceCommands(docker),
  files: new InstanceFiles(docker),
  dialStream,
  announcement,
  logger,
});

const onGone = (instanceId: string, reason: string) => {
  terminals.closeInstance(instanceId, reason);
  link.gone(instanceId, reason);
};

const ports = new PortScanner({
  docker,
  listInstances: () => provisioner.listInstances(),
  onPorts: (instanceId, list) => link.ports(instanceId, list),
  // A terminal relay listening for its connection is the agent's, not the learner's.
  isHiddenPort: (port) => relayPorts.isRelayPort(port),
  intervalMs: config.PORT_SCAN_INTERVAL_MS,
  logger,
});

const watcher = new InstanceWatcher({
  docker,
  nodeId: config.NODE_ID,
  isExpectedStop: (id) => provisioner.isExpectedStop(id),
  onGone,
  onPoolMemberGone: (containerId) => pool?.memberGone(containerId),
  logger,
});

const cpuAbuse = new CpuAbuseMonitor({
  docker,
  listInstances: () => provisioner.listInstances(),
  deleteInstance: (job) => provisioner.deleteInstance(job),
  policy: {
    threshold: config.CPU_ABUSE_THRESHOLD,
    warnAfterMs: config.CPU_ABUSE_WARN_MINUTES * 60_000,
    stopAfterMs: config.CPU_ABUSE_STOP_MINUTES * 60_000,
  },
  intervalMs: config.CPU_ABUSE_SAMPLE_INTERVAL_MS,
  onWarning: (instanceId, report) => link.cpuWarning(instanceId, report),
  // Terminals close with the reason before the removal would close them as "deleted".
  onStop: (instanceId, report) => {
    terminals.closeInstance(instanceId, report.message);
    link.stopped(instanceId, report);
  },
  logger,
});

const usage = new UsageSampler({
  docker,
  listInstances: () => provisioner.listInstances(),
  intervalMs: config.USAGE_SAMPLE_INTERVAL_MS,
  onReport: (report) => link.usage(report),
  logger,
});
metrics.observe({
  runningInstances: async () => (await provisioner.listInstances()).filter((instance) => instance.running).length,
  warmReady: () => pool?.readyCount ?? 0,
  terminals: () => terminals.counts(),
  instanceUsage: () => usage.latest(),
});

const metricsServer =
  config.METRICS_PORT === undefined
    ? undefined
    : await metrics.serve({ host: config.METRICS_HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN, logger }).then(({ server, address }) => {
        logger.info({ host: address.address, port: address.port }, 'metrics.listening');
        return server;
      });

let stopping = false;
async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'node.stopping');
  // Instances stay: a restarted agent adopts them through their labels.
  await worker.close().catch((err) => logger.warn({ err: String(err) }, 'worker.close_failed'));
  await pool?.stop(); // warm members stay; the next start adopts them
  heartbeat.stop();
  ports.stop();
  cpuAbuse.stop();
  usage.stop();
  watcher.stop();
  link.close();
  metricsServer?.close();
  terminals.closeAll('the node agent is restarting');
  await redis.quit().catch((err) => logger.warn({ err: String(err) }, 'redis.quit_failed'));
  logger.info('node.stopped');
  process.exit(exitCode);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await watcher.start();
pool?.start();
heartbeat.start();
ports.start();
cpuAbuse.start();
usage.start();
worker.start();
link.connect({
  onConnected: async (live) => {
    await reconcileNode({ live, provisioner, busy: worker.busy(), onGone, logger });
    // Said at once rather than at the next interval: readers wait for it (bench, operators).
    announcer.reconciled();
    await heartbeat.beat();
    ports.resendAll();
  },
  onFatalRefusal: (message) => {
    logger.fatal({ securityMode: config.SECURITY_MODE }, `orchestrator.refused: ${message}`);
    void shutdown('refused', 1);
  },
});
logger.info({ queue: worker.worker.name, securityMode: config.SECURITY_MODE, image: config.INSTANCE_IMAGE, warmPool: config.WARM_POOL_SIZE }, 'node.started');
