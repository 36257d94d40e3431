import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { Server, type Namespace, type Socket } from 'socket.io';
import {
  AGENT_NAMESPACE,
  JOB,
  NodeAnnouncement,
  instanceContainerName,
  jobId,
  newInstanceId,
  newSessionId,
  nodeHeartbeatKey,
  nodeQueueName,
  type AgentToOrchestrator,
  type CreateInstanceResult,
  type LiveInstances,
  type OrchestratorToAgent,
} from '@playground/contracts';
import { removeNodeResources, requireDocker, requireRedis, REDIS_URL, TEST_IMAGE, TEST_LIMITS, uniqueNodeId } from '../test/support.ts';
import { eventually } from '../../../test/support/eventually.ts';

// Seam test: the real agent process (main.ts) against real Docker and Redis, with a small
// Socket.IO server in the test playing the orchestrator's /agent namespace.

const nodeId = uniqueNodeId();
const token = randomBytes(8).toString('hex');
const sessionId = newSessionId();
const instanceId = newInstanceId();
const strayInstance = newInstanceId();
const ghostInstance = newInstanceId();

type AgentServerSocket = Socket<AgentToOrchestrator, OrchestratorToAgent>;

let docker: Docker;
let redis: Redis;
let io: Server;
let agentNs: Namespace<AgentToOrchestrator, OrchestratorToAgent>;
let url: string;
let agent: ChildProcess;
let agentLog = '';
let live: LiveInstances = { instanceIds: [], sessionIds: [] };
const seen = {
  announces: [] as NodeAnnouncement[],
  liveAsked: 0,
  ports: [] as { instanceId: string; ports: number[] }[],
  gone: [] as { instanceId: string; reason: string }[],
  output: new Map<string, Buffer[]>(),
  sockets: [] as AgentServerSocket[],
  rejected: 0,
};

function startAgent(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url))], {
    env: {
      PATH: process.env.PATH,
      NODE_ID: nodeId,
      AGENT_TOKEN: token,
      ORCHESTRATOR_URL: url,
      REDIS_URL,
      INSTANCE_IMAGE: TEST_IMAGE,
      HEARTBEAT_INTERVAL_MS: '500',
      PORT_SCAN_INTERVAL_MS: '200',
      // Exact container counts here; the pool has its own tests (warm-pool.test.ts).
      WARM_POOL_SIZE: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (agentLog += d));
  child.stderr!.on('data', (d) => (agentLog += d));
  return child;
}

before(async () => {
  docker = await requireDocker();
  redis = await requireRedis();
  const http = createServer();
  io = new Server(http);
  agentNs = io.of(AGENT_NAMESPACE);
  agentNs.use((socket, next) => {
    const auth = socket.handshake.auth as { nodeId?: string; token?: string };
    if (auth.token !== token || auth.nodeId !== nodeId) {
      seen.rejected++;
      return next(new Error('unauthorized'));
    }
    next();
  });
  agentNs.on('connection', (socket) => {
    seen.sockets.push(socket);
    socket.on('node.announce', (a) => seen.announces.push(NodeAnnouncement.parse(a)));
    socket.on('node.live', (reply) => {
      seen.liveAsked++;
      reply(live);
    });
    socket.on('instance.ports', (id, ports) => seen.ports.push({ instanceId: id, ports }));
    socket.on('instance.gone', (id, reason) => seen.gone.push({ instanceId: id, reason }));
    socket.on('terminal.output', (viewerId, data, ack) => {
      const list = seen.output.get(viewerId) ?? [];
      list.push(Buffer.from(data));
      seen.output.set(viewerId, list);
      ack?.();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  io?.close();
  if (redis) {
    await redis.del(nodeHeartbeatKey(nodeId));
    const q = new Queue(nodeQueueName(nodeId), { connection: redis });
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    redis.disconnect();
  }
  if (docker) await removeNodeResources(docker, nodeId);
  if (process.env.TEST_LOG_LEVEL) console.log(agentLog);
});

let agentStartedAt = 0;
async function heartbeatReconciledAt(): Promise<string | undefined> {
  const beat = await redis.get(nodeHeartbeatKey(nodeId));
  return beat ? NodeAnnouncement.parse(JSON.parse(beat)).reconciledAt : undefined;
}

const text = (viewerId: string) => Buffer.concat(seen.output.get(viewerId) ?? []).toString('utf8');
const current = () => seen.sockets.at(-1)!;

test('announces itself, heartbeats to Redis and reconciles on connect', async () => {
  // A stray labelled volume of an instance the orchestrator does not know: reconcile removes it.
  await docker.createVolume({ Name: `playground-${strayInstance}-docker`, Labels: { 'playground.managed': 'true', 'playground.node': nodeId, 'playground.instance': strayInstance } });
  live = { instanceIds: [ghostInstance], sessionIds: [] };
  agentStartedAt = Date.now();
  agent = startAgent();
  await eventually(() => seen.announces.length > 0, { timeoutMs: 20000, description: 'node.announce' });
  assert.equal(seen.announces[0]!.nodeId, nodeId);
  await eventually(() => seen.gone.find((g) => g.instanceId === ghostInstance), { timeoutMs: 10000, description: 'instance.gone for a live instance with no container' });
  await eventually(async () => {
    const vols = await docker.listVolumes({ filters: { label: [`playground.instance=${strayInstance}`] } });
    return (vols.Volumes ?? []).length === 0;
  }, { timeoutMs: 10_000, description: 'stray volume removed' });
  const beat = await eventually(() => redis.get(nodeHeartbeatKey(nodeId)), { timeoutMs: 5000, description: 'heartbeat key' });
  NodeAnnouncement.parse(JSON.parse(beat));
  // The heartbeat says when the reconcile finished, so readers need no log to know it.
  const reconciled = await eventually(heartbeatReconciledAt, { timeoutMs: 5000, description: 'reconciledAt in the heartbeat' });
  assert.ok(Date.parse(reconciled) >= agentStartedAt, `reconciledAt ${reconciled} is after the agent started`);
  const ttl = await redis.pttl(nodeHeartbeatKey(nodeId));
  assert.ok(ttl > 0 && ttl <= 1500, `heartbeat ttl ${ttl}`);
});

test('a job on the node queue creates an instance; terminal and ports flow over the link', async () => {
  live = { instanceIds: [instanceId], sessionIds: [sessionId] };
  const queue = new Queue(nodeQueueName(nodeId), { connection: redis });
  const events = new QueueEvents(nodeQueueName(nodeId), { connection: redis.duplicate() });
  await events.waitUntilReady();
  try {
    const job = await queue.add(
      JOB.createInstance,
      { sessionId, instanceId, hostname: 'node1', limits: TEST_LIMITS },
      { jobId: jobId.createInstance(instanceId) },
    );
    const result = (await job.waitUntilFinished(events, 90000)) as CreateInstanceResult;
    assert.equal(result.instanceId, instanceId);
  } finally {
    await queue.close();
    await events.close();
  }
  await eventually(() => seen.ports.find((p) => p.instanceId === instanceId), { timeoutMs: 10000, description: 'empty port set reported' });

  const reply = await current().timeout(10000).emitWithAck('terminal.attach', { viewerId: 'w1', instanceId, size: { cols: 100, rows: 30 } });
  assert.deepEqual(reply, { ok: true });
  current().emit('terminal.input', 'w1', 'nohup python3 -m http.server 8080 >/dev/null 2>&1 & echo via-$((40+2))\r');
  await eventually(() => text('w1').includes('via-42'), { timeoutMs: 10000, description: 'terminal output through the link' });
  await eventually(() => seen.ports.filter((p) => p.instanceId === instanceId).at(-1)?.ports.includes(8080), { timeoutMs: 10000, description: 'port 8080 reported' });
});

test('after the orchestrator drops the agent: viewers detached, agent reconnects, reconciles, re-sends ports, shell kept', async () => {
  const announces = seen.announces.length;
  const asked = seen.liveAsked;
  const portReports = seen.ports.length;
  const reconciledBefore = await heartbeatReconciledAt();
  assert.ok(reconciledBefore);
  current().disconnect(true);
  await eventually(() => seen.announces.length > announces, { timeoutMs: 10000, description: 're-announce' });
  await eventually(() => seen.liveAsked > asked, { timeoutMs: 10000, description: 'node.live asked again' });
  await eventually(async () => ((await heartbeatReconciledAt()) ?? '') > reconciledBefore, { timeoutMs: 10000, description: 'a later reconcile in the heartbeat' });
  await eventually(() => seen.ports.slice(portReports).some((p) => p.instanceId === instanceId && p.ports.includes(8080)), { timeoutMs: 10000, description: 'ports re-sent' });
  const reply = await current().timeout(10000).emitWithAck('terminal.attach', { viewerId: 'w2', instanceId });
  assert.deepEqual(reply, { ok: true });
  await eventually(() => text('w2').includes('via-42'), { timeoutMs: 5000, description: 'replay of the same shell' });
  assert.equal((await docker.getContainer(instanceContainerName(instanceId)).inspect()).State.Running, true);
});

test('SIGTERM stops the agent cleanly and leaves instances running', async () => {
  const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
  agent.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal((await docker.getContainer(instanceContainerName(instanceId)).inspect()).State.Running, true);
  assert.match(agentLog, /node\.stopped/);
});
