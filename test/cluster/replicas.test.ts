import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodePortTunnelPath, REPLICA_HEADER, TERMINAL_INSTANCE_QUERY, type InstanceView, type SessionView } from '@playground/contracts';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import { containersOf, createInstance, createSession } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';
import { echoOverWebSocket, httpThrough, startEchoServer } from '../support/port-traffic.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import type { ProcessName } from '../../infra/launcher/stack.ts';

// Two orchestrator replicas behind the web edge, sharing Postgres and Redis, one node agent
// (given both replicas' URLs, it links to one and moves to the other when its link fails).
// Any replica answers the API; a terminal whose socket is on the replica without the agent's
// link echoes; kill -9 of the replica holding the link moves everything to the other: the
// edge stops sending there, the agent relinks, the terminal comes back with its screen replayed, the session stays, the sweep
// runs on one replica at a time, and a create after the kill makes exactly one container.
// Port URLs (HTTP and WebSocket, host and path forms) load through either replica: the one
// without the agent's link carries the bytes through the one with it. A terminal whose
// handshake names its instance, as the page's does, is sent by the edge to the replica holding
// the agent's link.

/** Which replica answered (the orchestrator names itself in every HTTP answer). */
async function replicaOf(url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(5_000) });
  await response.arrayBuffer();
  return response.headers.get('x-playground-replica') ?? 'none';
}

/** The replica that answered a terminal's WebSocket handshake through the edge (its 101 names it). */
function handshakeReplica(edgePort: number, instanceId: string | undefined): Promise<string> {
  const query = instanceId ? `&${TERMINAL_INSTANCE_QUERY}=${instanceId}` : '';
  const socket = new WebSocket(`ws://127.0.0.1:${edgePort}/socket.io/?EIO=4&transport=websocket${query}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no handshake within 10 s')), 10_000);
    socket.once('upgrade', (response) => {
      clearTimeout(timer);
      resolve(String(response.headers[REPLICA_HEADER] ?? 'none'));
      socket.terminate();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** playground_reaper_sweeps_total of one replica. */
async function sweeps(stack: TestStack, url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` }, signal: AbortSignal.timeout(5_000) });
  const line = (await response.text()).split('\n').find((row) => row.startsWith('playground_reaper_sweeps_total'));
  return Number(line?.split(' ')[1] ?? NaN);
}

/**
 * A terminal as the learner's page keeps it: it reconnects by itself after a retryable exit
 * or a dropped socket, and `screen` is what it shows since its last (re)connect (the replay).
 */
function learnerTerminal(url: string, auth: Record<string, unknown>, query?: Record<string, string>) {
  let screen = '';
  let connects = 0;
  let closed = false;
  let socket: Socket;
  const decoder = new TextDecoder();
  const open = () => {
    socket = io(`${url}/terminal`, { auth, query, transports: ['websocket'], reconnection: false, forceNew: true });
    socket.on('connect', () => {
      screen = '';
      connects += 1;
    });
    socket.on('output', (data: string | ArrayBuffer) => {
      screen += typeof data === 'string' ? data : decoder.decode(new Uint8Array(data));
    });
    const again = () => {
      socket.removeAllListeners();
      socket.close();
      if (!closed) setTimeout(open, 500);
    };
    socket.on('exit', (info: { retryable?: boolean; reason: string }) => {
      if (info.retryable) again();
      else screen += `\n[exit: ${info.reason}]`;
    });
    socket.on('disconnect', again);
    socket.on('connect_error', again);
  };
  open();
  return {
    screen: () => screen,
    connects: () => connects,
    type: (text: string) => socket.emit('input', text),
    close: () => {
      closed = true;
      socket.removeAllListeners();
      socket.close();
    },
  };
}

async function echoes(terminal: ReturnType<typeof learnerTerminal>, what: string): Promise<string> {
  const a = 1000 + Math.floor(Math.random() * 9000);
  await eventually(async () => /root@\S+/.test(terminal.screen()), { timeoutMs: 30_000, description: `the prompt (${what})` });
  terminal.type(`echo $((${a}*7))-mark\r`);
  const mark = `${a * 7}-mark`;
  await eventually(async () => terminal.screen().includes(mark), { timeoutMs: 15_000, description: `the echo (${what})` });
  return mark;
}

/** A page, an upload, WebSockets on a port of a new instance, through the replica without the agent link and through the edge. */
async function portUrlsThroughBoth(stack: TestStack, redis: Redis, sessionId: string): Promise<void> {
  const instance = await createInstance(stack, sessionId);
  await startEchoServer(stack, sessionId, instance.id);
  const nodeId = stack.nodeIds[0]!;
  const holderId = await eventually(async () => (await redis.hget('playground:agent-links:holders', nodeId))?.split('/')[0], {
    timeoutMs: 30_000,
    description: 'the agent link to be recorded',
  });
  const edgePort = stack.options.port;
  const hostForm = `${instance.id}-8080.ports.localhost:${edgePort}`;
  const forms = [
    [hostForm, '/'],
    [`localhost:${edgePort}`, `/ports/${instance.id}/8080/`],
  ] as const;

  // The replica without the link, addressed as the edge addresses it (its port tunnel, in
  // both forms), serves the page, a 3 MiB upload echoed back (more than the credit windows
  // of both hops) and WebSocket messages.
  let other: string | undefined;
  for (const replica of stack.orchestrators) {
    if ((await replicaOf(replica.url)) !== holderId) other = replica.url;
  }
  assert.ok(other, 'a replica without the agent link');
  const otherPort = Number(new URL(other).port);
  for (const form of ['host', 'path'] as const) {
    const tunnel = (rest: string) => encodePortTunnelPath({ instanceId: instance.id, port: 8080, form, bare: false, forwardPath: rest });
    const host = `localhost:${edgePort}`;
    const page = await httpThrough(otherPort, host, tunnel('/'));
    assert.equal(page.status, 200, `${form} form: ${page.body}`);
    assert.notEqual(page.replica, holderId, 'served by the replica without the link');
    assert.match(page.body.toString(), /hello from node1/);
    const body = randomBytes(3 * 1024 * 1024);
    const echoed = await httpThrough(otherPort, host, tunnel('/upload'), 'POST', body);
    assert.equal(echoed.status, 200);
    assert.ok(echoed.body.equals(body), `${form} form: the 3 MiB body came back unchanged`);
    assert.equal((await echoOverWebSocket(otherPort, host, tunnel('/echo'))).text, 'ping over the agent link');
  }

  // Through the edge, requests spread over both replicas and every one loads.
  const served = new Set<string>();
  for (let call = 0; call < 6; call++) {
    for (const [host, path] of forms) {
      const page = await httpThrough(edgePort, host, path);
      assert.equal(page.status, 200, `through the edge, ${host}${path}: ${page.body}`);
      assert.match(page.body.toString(), /hello from node1/);
      served.add(page.replica ?? 'none');
    }
  }
  assert.equal(served.size, 2, `both replicas served port URLs: ${[...served].join(', ')}`);
  // WebSockets through the edge alternate between the replicas too.
  for (let socket = 0; socket < 2; socket++) {
    for (const [host, path] of forms) assert.equal((await echoOverWebSocket(edgePort, host, `${path}echo`)).text, 'ping over the agent link');
  }
}

describe('two orchestrator replicas', { timeout: 6 * 60_000 }, () => {
  let stack: TestStack;
  let redis: Redis;
  before(async () => {
    stack = await startTestStack('cluster-replicas', { orchestrators: 2, nodes: 1, env: { REAPER_INTERVAL_MS: '1000' } });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await stack?.teardown();
  });

  it('serves port URLs from the replica without the agent link too', async () => {
    const session = await createSession(stack);
    try {
      await portUrlsThroughBoth(stack, redis, session.id);
    } finally {
      // Ended even when an assertion failed: the next test counts every container.
      await stack.api('DELETE', `/api/v1/sessions/${session.id}`);
    }
  });

  it('sends a terminal opened through the edge to the replica holding its node\'s agent link', async () => {
    const session = await createSession(stack);
    try {
      const instance = await createInstance(stack, session.id);
      const holderId = await eventually(async () => (await redis.hget('playground:agent-links:holders', stack.nodeIds[0]!))?.split('/')[0], {
        timeoutMs: 30_000,
        description: 'the agent link to be recorded',
      });
      const edgePort = stack.options.port;
      // Named in the handshake URL, as the page names it: every socket lands on the holder.
      for (let socket = 0; socket < 6; socket++) assert.equal(await handshakeReplica(edgePort, instance.id), holderId, `socket ${socket}`);
      // Not named (an older page, or not a terminal): spread over both replicas like any request.
      const spread = new Set<string>();
      for (let socket = 0; socket < 6; socket++) spread.add(await handshakeReplica(edgePort, undefined));
      assert.equal(spread.size, 2, `sockets without an instance reach both replicas: ${[...spread].join(', ')}`);
      // The question is the edge's alone: from outside, through the edge, the path is a page 404;
      // asked directly with a malformed instance, a replica answers a JSON 400.
      const outside = await fetch(`${stack.baseUrl}/_edge/link-affinity?instance=${instance.id}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(outside.status, 404, 'the edge does not forward /_edge/ from outside');
      assert.ok(!(await outside.text()).includes(holderId), 'no replica id leaks through the edge');
      const malformed = await fetch(`${stack.orchestrators[0]!.url}/_edge/link-affinity?instance=..%2Fetc`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, 'bad_request');
      // A terminal opened that way works.
      const terminal = learnerTerminal(stack.baseUrl, { sessionId: session.id, instanceId: instance.id }, { [TERMINAL_INSTANCE_QUERY]: instance.id });
      try {
        await echoes(terminal, 'through the edge, on the holder');
      } finally {
        terminal.close();
      }
    } finally {
      await stack.api('DELETE', `/api/v1/sessions/${session.id}`);
    }
  });

  it('serves from both, relays terminals across them, and survives kill -9 of one', async () => {
    const [first, second] = stack.orchestrators as [{ name: ProcessName; url: string }, { name: ProcessName; url: string }];
    const ids = new Map([[await replicaOf(first.url), first], [await replicaOf(second.url), second]]);
    assert.equal(ids.size, 2, 'each replica names itself');

    // The edge spreads API calls over both replicas.
    const answered = new Set<string>();
    for (let call = 0; call < 12; call++) answered.add(await replicaOf(stack.baseUrl));
    assert.deepEqual([...answered].sort(), [...ids.keys()].sort(), 'API calls through the edge reach both replicas');

    const session = await createSession(stack);
    const instance = await createInstance(stack, session.id);
    const nodeId = stack.nodeIds[0]!;
    // Which replica holds the agent's link (the link registry in the shared Redis).
    const holderId = await eventually(async () => (await redis.hget('playground:agent-links:holders', nodeId))?.split('/')[0], {
      timeoutMs: 30_000,
      description: 'the agent link to be recorded',
    });
    const holder = ids.get(holderId)!;
    const other = [...ids.values()].find((replica) => replica !== holder)!;
    assert.ok(holder && other, `the link is held by a replica of this stack (${holderId})`);

    // A terminal whose socket is on the replica without the link, and one on the holder.
    const auth = { sessionId: session.id, instanceId: instance.id };
    const remote = learnerTerminal(other.url, auth);
    const local = learnerTerminal(holder.url, auth);
    const before = await echoes(remote, 'socket on the replica without the agent link');
    await echoes(local, 'socket on the replica with the agent link');
    local.close();

    // The sweep runs on one replica at a time.
    const sweepsBefore = [await sweeps(stack, first.url), await sweeps(stack, second.url)];
    await sleep(4_000);
    const sweepsAfter = [await sweeps(stack, first.url), await sweeps(stack, second.url)];
    const grew = sweepsAfter.map((count, index) => count - sweepsBefore[index]!);
    assert.equal(grew.filter((delta) => delta > 0).length, 1, `exactly one replica sweeps: ${JSON.stringify({ sweepsBefore, sweepsAfter })}`);

    await stack.kill(holder.name);

    // The edge stops sending to the dead replica: every call is answered, by the live one.
    await sleep(1_500);
    for (let call = 0; call < 8; call++) {
      const response = await fetch(`${stack.baseUrl}/api/v1/sessions/${session.id}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 200, `call ${call} after the kill`);
      assert.equal(response.headers.get('x-playground-replica'), [...ids.keys()].find((id) => ids.get(id) === other));
      const view = (await response.json()) as SessionView;
      assert.equal(view.status, 'active', 'the session is not lost');
    }

    // The agent relinked to the live replica; the terminal reconnected and its screen came back.
    await eventually(async () => (await redis.hget('playground:agent-links:holders', nodeId))?.split('/')[0] !== holderId, {
      timeoutMs: 30_000,
      description: 'the agent to link to the live replica',
    });
    await eventually(async () => remote.connects() > 1 && remote.screen().includes(before), {
      timeoutMs: 30_000,
      description: 'the terminal to reconnect with its screen replayed',
    });
    await echoes(remote, 'after the kill');
    // A terminal opened through the edge now works too.
    const viaEdge = learnerTerminal(stack.baseUrl, auth);
    await echoes(viaEdge, 'through the edge after the kill');
    viaEdge.close();
    remote.close();

    // The live replica took over the sweep.
    const survivorBefore = await sweeps(stack, other.url);
    await eventually(async () => (await sweeps(stack, other.url)) > survivorBefore + 1, { timeoutMs: 40_000, description: 'the live replica to sweep' });

    // A create after the kill makes exactly one container; the first instance still has exactly one.
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.id}/instances`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(await containersOf(stack, created.body.id), { [nodeId]: 1 });
    assert.deepEqual(await containersOf(stack, instance.id), { [nodeId]: 1 });

    assert.equal((await stack.api('DELETE', `/api/v1/sessions/${session.id}`)).status, 204);
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container removed' });
  });
});
