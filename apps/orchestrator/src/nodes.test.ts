import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EVENT,
  JOB,
  jobId,
  nodeHeartbeatKey,
  NodeListView,
  NodeView,
  type AgentToOrchestrator,
  type InstanceView,
  type OrchestratorToAgent,
  type SessionView,
  type TerminalClientToServer,
  type TerminalServerToClient,
} from '@playground/contracts';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { buildOrchestrator } from './app.ts';
import { createLogger } from './logger.ts';
import { nodeStatus } from './nodes.ts';
import { SESSION_LOST_MESSAGE } from './session-lost.ts';
import { json, startTestOrchestrator, type TestOrchestrator } from '../test/harness.ts';
import { eventually } from '../../../test/support/eventually.ts';

// Many nodes against real Postgres and Redis: the admin nodes API, drain/undrain, capacity,
// and a node going down (heartbeat timeout, agent link lost). A small in-test agent client
// on /agent stands in for the node agent (the seam); BullMQ workers answer its jobs.
// The harness gives the orchestrator a Redis of its own, so the node monitor sees only the
// heartbeats of this file's agents.

const DOWN_AFTER_MS = 1_000;
type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;
type BrowserClient = Socket<TerminalServerToClient, TerminalClientToServer>;

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function once<T>(register: (resolve: (value: T) => void) => void, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe('nodes: admin API, drain, capacity, node failure', () => {
  let t: TestOrchestrator;
  let redis: Redis;
  const clients: Array<{ close(): void }> = [];
  const created: string[] = [];
  let clientNo = 0;

  const admin = (token?: string) => ({ authorization: `Bearer ${token ?? t.adminToken}` });
  const newClient = () => ({ 'x-forwarded-for': `198.51.100.${++clientNo}` });
  const createSession = async () => t.request('POST', '/api/v1/sessions', { headers: newClient() });
  const addInstance = (sessionId: string) => t.request('POST', `/api/v1/sessions/${sessionId}/instances`);
  const nodeRow = (id: string) => t.app.db.node.findUniqueOrThrow({ where: { id } });
  const heartbeat = (nodeId: string, ttlMs = 60_000) =>
    redis.set(
      nodeHeartbeatKey(nodeId),
      JSON.stringify({ nodeId, name: nodeId, engineVersion: '20.10', capacity: { instances: 10, memoryBytes: 8 * 2 ** 30 }, usage: { instances: 0 } }),
      'PX',
      ttlMs,
    );
  /** Nodes not under test take no sessions. */
  const only = async (nodeId: string) => {
    await t.app.db.node.updateMany({ where: { id: { not: nodeId } }, data: { drained: true } });
    await t.app.db.node.update({ where: { id: nodeId }, data: { status: 'ready', drained: false, lastSeenAt: new Date() } });
  };
  const answerCreates = (nodeId: string) =>
    t.worker(nodeId, async (job) =>
      job.name === JOB.createInstance
        ? { instanceId: job.data.instanceId, containerId: `c-${job.data.instanceId}`, ip: '10.9.0.2' }
        : { ok: true },
    );
  const agentClient = async (nodeId: string) => {
    const agent: AgentClient = connect(`${t.baseUrl}/agent`, {
      auth: { nodeId, token: t.agentToken(nodeId) },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(agent);
    agent.on('terminal.attach', (_request, reply) => reply({ ok: true }));
    await once<void>((resolve) => agent.on('connect', () => resolve()));
    return agent;
  };
  const announce = (agent: AgentClient, nodeId: string) =>
    agent.emit('node.announce', {
      nodeId,
      name: `${nodeId}-name`,
      engineVersion: '20.10.24',
      capacity: { instances: 10, memoryBytes: 8 * 2 ** 30 },
      usage: { instances: 0 },
    });
  const browser = (auth: Record<string, unknown>) => {
    const client: BrowserClient = connect(`${t.baseUrl}/terminal`, { auth, transports: ['websocket'], reconnection: false });
    clients.push(client);
    return client;
  };

  before(async () => {
    t = await startTestOrchestrator('nodes', {
      NODE_DOWN_AFTER_MS: String(DOWN_AFTER_MS),
      INSTANCE_CREATE_TIMEOUT_MS: '20000',
      MAX_INSTANCES_PER_SESSION: '5',
      INSTANCE_MEMORY_MB: '1024',
    });
    redis = new Redis(t.redisUrl);
    // The node monitor counts heartbeat silence from its first sweep on.
    await t.app.reaper.runOnce();
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const id of created) await redis?.del(nodeHeartbeatKey(id));
    redis?.disconnect();
    await t?.close();
  });

  const addNode = async (capacity = 10) => {
    const id = await t.addNode(capacity);
    created.push(id);
    return id;
  };

  it('GET /nodes needs the admin token; 200 lists nodes with capacity and usage; drain/undrain of an unknown node → 404', async () => {
    const a = await addNode(4);
    await only(a);
    answerCreates(a);
    assert.equal((await t.request('GET', '/api/v1/nodes')).status, 401);
    const wrong = await t.request('GET', '/api/v1/nodes', { headers: admin('wrong-token-wrong-token') });
    assert.equal(wrong.status, 401);
    assert.equal((await json(wrong)).error.code, 'unauthorized');
    assert.equal((await t.request('POST', `/api/v1/nodes/${a}/drain`)).status, 401);
    assert.equal((await t.request('POST', `/api/v1/nodes/${a}/undrain`)).status, 401);

    const session = await json<SessionView>(await createSession());
    assert.equal((await addInstance(session.id)).status, 201);
    assert.equal((await addInstance(session.id)).status, 201);
    const response = await t.request('GET', '/api/v1/nodes', { headers: admin() });
    assert.equal(response.status, 200);
    const body = NodeListView.parse(await json(response));
    const view = body.nodes.find((node) => node.id === a);
    assert.deepEqual({ ...view, lastSeenAt: undefined }, {
      id: a,
      name: a,
      status: 'ready',
      drained: false,
      capacity: { instances: 4, memoryBytes: 8 * 2 ** 30 },
      usage: { instances: 2, sessions: 1 },
      lastSeenAt: undefined,
    });
    assert.ok(!Number.isNaN(Date.parse(view!.lastSeenAt!)));

    for (const action of ['drain', 'undrain']) {
      const missing = await t.request('POST', `/api/v1/nodes/no-such-node/${action}`, { headers: admin() });
      assert.equal(missing.status, 404);
      assert.equal((await json(missing)).error.code, 'not_found');
    }
  });

  it('a full cluster → 503 no_capacity with Retry-After on session creation; a full node → the same on its next instance', async () => {
    const a = await addNode(2);
    await only(a);
    answerCreates(a);
    const session = await json<SessionView>(await createSession());
    assert.equal((await addInstance(session.id)).status, 201);
    assert.equal((await addInstance(session.id)).status, 201);
    // The node's 2 slots are taken: the session's next instance has no room (not a hang).
    const full = await addInstance(session.id);
    assert.equal(full.status, 503);
    assert.equal(full.headers.get('retry-after'), '30');
    const body = await json(full);
    assert.equal(body.error.code, 'no_capacity');
    assert.match(body.error.message, /^No capacity/);
    // ... and no ready node has room for a new session.
    const none = await createSession();
    assert.equal(none.status, 503);
    assert.equal(none.headers.get('retry-after'), '30');
    assert.equal((await json(none)).error.code, 'no_capacity');
    assert.match((await json(await createSession())).error.message, /No capacity/);

    // Memory counts too: 10 slots but 3 GiB for 1 GiB instances → 3 fit.
    await t.app.db.node.update({ where: { id: a }, data: { capacityInstances: 10, capacityMemory: 3n * 2n ** 30n } });
    assert.equal((await addInstance(session.id)).status, 201);
    assert.equal((await addInstance(session.id)).status, 503);
  });

  it('drain: a draining node gets no new session; undrain restores it; draining survives heartbeats, announce, a restart and a down period', async () => {
    const b = await addNode(10);
    await only(b);
    answerCreates(b);
    const drained = await t.request('POST', `/api/v1/nodes/${b}/drain`, { headers: admin() });
    assert.equal(drained.status, 200);
    assert.equal(NodeView.parse(await json(drained)).status, 'draining');
    assert.equal((await createSession()).status, 503);

    // Heartbeats (node monitor) and a (re)connecting agent's announcement keep it draining.
    await heartbeat(b);
    await t.app.reaper.runOnce();
    assert.equal(nodeStatus(await nodeRow(b)), 'draining');
    const agent = await agentClient(b);
    announce(agent, b);
    await eventually(async () => (await nodeRow(b)).name === `${b}-name`, { timeoutMs: 5_000, description: 'the announced name on the node row' });
    assert.equal(nodeStatus(await nodeRow(b)), 'draining');

    // A second orchestrator process on the same record sees it draining and keeps it so.
    const second = await buildOrchestrator(t.app.config, createLogger('silent'), { queuePrefix: t.prefix, startReaper: false });
    try {
      const { port } = await second.listen();
      await second.reaper.runOnce();
      const list = NodeListView.parse(
        await json(await fetch(`http://127.0.0.1:${port}/api/v1/nodes`, { headers: admin() })),
      );
      assert.equal(list.nodes.find((node) => node.id === b)?.status, 'draining');
    } finally {
      await second.close();
    }

    // Its sessions go on: an existing session on a draining node still gets instances.
    await t.app.db.node.update({ where: { id: b }, data: { drained: false } });
    const session = await json<SessionView>(await createSession());
    await t.app.db.node.update({ where: { id: b }, data: { drained: true } });
    assert.equal((await addInstance(session.id)).status, 201);

    const undrained = await t.request('POST', `/api/v1/nodes/${b}/undrain`, { headers: admin() });
    assert.equal(NodeView.parse(await json(undrained)).status, 'ready');
    const placed = await json<SessionView>(await createSession());
    assert.equal((await t.app.db.session.findUniqueOrThrow({ where: { id: placed.id } })).nodeId, b);

    // Drained, then down, then back: it returns draining.
    await t.request('POST', `/api/v1/nodes/${b}/drain`, { headers: admin() });
    agent.close();
    await redis.del(nodeHeartbeatKey(b));
    await t.app.db.node.update({ where: { id: b }, data: { lastSeenAt: new Date(Date.now() - 10 * DOWN_AFTER_MS) } });
    await sleep(DOWN_AFTER_MS + 100);
    await t.app.reaper.runOnce();
    assert.equal((await nodeRow(b)).status, 'down');
    const again = await agentClient(b);
    announce(again, b);
    await eventually(async () => (await nodeRow(b)).status !== 'down', { timeoutMs: 5_000, description: 'node b to be up again' });
    await heartbeat(b);
    await t.app.reaper.runOnce();
    assert.equal(nodeStatus(await nodeRow(b)), 'draining');

    // Drain is the node's state, not history: with the audit trail pruned, a node that goes
    // down and comes back again still returns draining.
    await t.app.db.auditEvent.deleteMany({ where: { nodeId: b } });
    await t.app.nodes.markDown(b, { reason: 'test' });
    announce(again, b);
    await eventually(async () => (await nodeRow(b)).status !== 'down', { timeoutMs: 5_000, description: 'node b to be up again' });
    assert.equal(nodeStatus(await nodeRow(b)), 'draining');
    await t.request('POST', `/api/v1/nodes/${b}/undrain`, { headers: admin() });
  });

  it('heartbeat timeout → node down, its sessions lost (GET 200 lost, POST 410), terminals exit, node.live leaves them out; back → ready', async () => {
    const c = await addNode(10);
    await only(c);
    answerCreates(c);
    const agent = await agentClient(c);
    announce(agent, c);
    await heartbeat(c, 60_000);
    const session = await json<SessionView>(await createSession());
    const instance = await json<InstanceView>(await addInstance(session.id));
    assert.equal(instance.status, 'running');
    const term = browser({ sessionId: session.id, instanceId: instance.id });
    await once<void>((resolve) => term.on('connect', () => resolve()));
    const exit = once<{ code: number | null; reason: string; retryable?: boolean }>((resolve) => term.on('exit', resolve));

    // The agent stops heartbeating (its link may linger, as with a frozen host).
    await redis.del(nodeHeartbeatKey(c));
    await t.app.db.node.update({ where: { id: c }, data: { lastSeenAt: new Date(Date.now() - 2 * DOWN_AFTER_MS) } });
    await sleep(DOWN_AFTER_MS);
    await t.app.reaper.runOnce();

    assert.equal((await nodeRow(c)).status, 'down');
    const row = await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } });
    assert.equal(row.status, 'lost');
    assert.equal((await t.app.db.instance.findUniqueOrThrow({ where: { id: instance.id } })).status, 'lost');
    assert.ok(await t.app.db.auditEvent.findFirst({ where: { sessionId: session.id, type: EVENT.sessionLost } }));
    const down = await t.app.db.auditEvent.findFirst({ where: { nodeId: c, type: EVENT.nodeDown }, orderBy: { id: 'desc' } });
    assert.equal((down?.data as { reason?: string }).reason, 'heartbeat_timeout');
    const ended = await exit;
    assert.equal(ended.reason, SESSION_LOST_MESSAGE);
    assert.notEqual(ended.retryable, true);

    const get = await t.request('GET', `/api/v1/sessions/${session.id}`);
    assert.equal(get.status, 200);
    const view = await json<SessionView>(get);
    assert.equal(view.status, 'lost');
    assert.deepEqual(view.instances.map((i) => i.status), ['lost']);
    const post = await addInstance(session.id);
    assert.equal(post.status, 410);
    assert.deepEqual((await json(post)).error, { code: 'session_lost', message: SESSION_LOST_MESSAGE });
    const refused = browser({ sessionId: session.id, instanceId: instance.id });
    assert.equal((await once<Error>((resolve) => refused.on('connect_error', resolve))).message, SESSION_LOST_MESSAGE);

    const live = await agent.timeout(3_000).emitWithAck('node.live');
    assert.ok(!live.sessionIds.includes(session.id));
    assert.ok(!live.instanceIds.includes(instance.id));
    assert.ok(await t.app.queues.queue(c).getJob(jobId.closeSession(session.id)), 'close job queued for its leftovers');

    // The node answers again: ready; the lost session stays lost. DELETE ends it.
    await heartbeat(c);
    await t.app.reaper.runOnce();
    assert.equal((await nodeRow(c)).status, 'ready');
    assert.equal((await t.app.db.session.findUniqueOrThrow({ where: { id: session.id } })).status, 'lost');
    assert.equal((await t.request('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    assert.equal((await t.request('GET', `/api/v1/sessions/${session.id}`)).status, 404);
  });

  it('agent link lost: new instances and terminals fail fast; past NODE_DOWN_AFTER_MS the node is down and a waiting request ends at once', async () => {
    const d = await addNode(10);
    await only(d);
    const agent = await agentClient(d);
    announce(agent, d);
    await heartbeat(d, 60_000); // the heartbeat alone would keep it up
    const session = await json<SessionView>(await createSession());
    await t.app.db.instance.create({
      data: { id: 'a'.repeat(26), sessionId: session.id, nodeId: d, hostname: 'node9', status: 'running', ip: '10.9.0.9' },
    });

    // No worker answers on this node: the create request waits.
    const pending = addInstance(session.id);
    await eventually(() => t.app.db.instance.findFirst({ where: { sessionId: session.id, status: 'creating' } }), { timeoutMs: 5_000, description: 'a creating instance in the session' });
    const creating = await t.app.db.instance.findFirstOrThrow({ where: { sessionId: session.id, status: 'creating' } });

    const terminal = browser({ sessionId: session.id, instanceId: 'a'.repeat(26) });
    await once<void>((resolve) => terminal.on('connect', () => resolve()));
    const exit = once<{ reason: string; retryable?: boolean }>((resolve) => terminal.on('exit', resolve));
    agent.close();
    const lostLink = await exit;
    assert.equal(lostLink.retryable, true);
    assert.match(lostLink.reason, /Reconnecting/);
    const refused = browser({ sessionId: session.id, instanceId: 'a'.repeat(26) });
    const error = await once<Error & { data?: { retryable?: boolean } }>((resolve) => refused.on('connect_error', resolve));
    assert.equal(error.data?.retryable, true);

    const quick = await addInstance(session.id);
    assert.equal(quick.status, 503);
    assert.equal((await json(quick)).error.code, 'unavailable');

    await sleep(DOWN_AFTER_MS + 50);
    await t.app.reaper.runOnce();
    assert.equal((await nodeRow(d)).status, 'down');
    const down = await t.app.db.auditEvent.findFirst({ where: { nodeId: d, type: EVENT.nodeDown }, orderBy: { id: 'desc' } });
    assert.equal((down?.data as { reason?: string }).reason, 'agent_link_lost');
    const answer = await pending;
    assert.equal(answer.status, 410);
    assert.equal((await json(answer)).error.code, 'session_lost');
    assert.equal(await t.app.queues.queue(d).getJob(jobId.createInstance(creating.id)), undefined, 'its waiting create job was removed');

    // The agent comes back: the node is ready again and node.live leaves the lost session out.
    const back = await agentClient(d);
    announce(back, d);
    await eventually(async () => (await nodeRow(d)).status === 'ready', { timeoutMs: 5_000, description: 'node d to be ready' });
    await t.app.reaper.runOnce();
    assert.equal((await nodeRow(d)).status, 'ready');
    const live = await back.timeout(3_000).emitWithAck('node.live');
    assert.deepEqual(live.sessionIds.filter((id: string) => id === session.id), []);
  });
});
