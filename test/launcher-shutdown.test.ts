import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HealthView, LABEL, type InstanceView, type SessionView } from '@playground/contracts';
import { createDb } from '../apps/orchestrator/src/db.ts';
import { freePort, REPO_ROOT } from '../infra/launcher/stack.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { startPrivateRedis, type PrivateService } from './support/private-services.ts';
import { eventually } from './support/eventually.ts';

// `npm start -- --orchestrators 2` stopped the way a terminal stops it: Ctrl-C sends SIGINT to
// the whole foreground process group. Every session must end (and its instances go) before the
// processes stop, the operator's ADMIN_TOKEN from the environment is the one the playground
// uses, and a second start on the same Postgres and Redis is ready again (Redis remembers that
// the agents' links dropped at the first Ctrl-C).

const ADMIN_TOKEN = 'launcher-test-admin-token-0123456789';

/** A free port whose next one is free too (replica 2 listens on ORCHESTRATOR_PORT + 1, ssh on SSH_PORT + 1). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (next) return port;
  }
}

describe('npm start -- --orchestrators 2, and Ctrl-C', { timeout: 8 * 60_000 }, () => {
  let database: TestDatabase;
  let redis: PrivateService;
  let launcher: ChildProcess;
  let output = '';
  let baseUrl: string;
  let env: NodeJS.ProcessEnv;

  /** Starts the launcher in its own process group, as a shell starts a foreground job, and waits for its ready line. */
  async function startLauncher(): Promise<void> {
    output = '';
    launcher = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'infra/launcher/main.ts'), '--orchestrators', '2'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    launcher.stdout!.on('data', (chunk) => (output += chunk));
    launcher.stderr!.on('data', (chunk) => (output += chunk));
    await eventually(async () => output.includes('Playground ready at') || launcher.exitCode !== null, { timeoutMs: 180_000, description: 'npm start to say it is ready' });
    assert.ok(output.includes('Playground ready at'), `npm start is ready:\n${output}`);
  }

  /** Ctrl-C in the terminal: SIGINT to the launcher's whole process group; resolves with its exit code. */
  async function pressCtrlC(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
    process.kill(-launcher.pid!, 'SIGINT');
    return exited;
  }

  before(async () => {
    database = await createTestDatabase('launcher');
    redis = await startPrivateRedis();
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    env = {
      ...process.env,
      PORT: String(port),
      ORCHESTRATOR_PORT: String(await freePortPair()),
      SSH_PORT: String(await freePortPair()),
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      ADMIN_TOKEN,
      WARM_POOL_SIZE: '0',
    };
    await startLauncher();
  });
  after(async () => {
    if (launcher?.exitCode === null) process.kill(-launcher.pid!, 'SIGKILL');
    await redis?.close();
    await database?.drop();
  });

  const api = async <T>(method: string, route: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${route}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : '{}' });
    return { status: response.status, body: (await response.json()) as T };
  };

  it("takes the operator's ADMIN_TOKEN from the environment", async () => {
    assert.equal((await api('GET', '/api/v1/nodes', { authorization: `Bearer ${ADMIN_TOKEN}` })).status, 200);
    assert.equal((await api('GET', '/api/v1/nodes', { authorization: 'Bearer something-else' })).status, 401);
  });

  it('Ctrl-C to the process group ends every session and removes its instances before stopping', async () => {
    const sessions: string[] = [];
    for (let n = 0; n < 2; n++) {
      const session = await api<SessionView>('POST', '/api/v1/sessions');
      assert.equal(session.status, 201);
      const instance = await api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`);
      assert.equal(instance.status, 201, JSON.stringify(instance.body));
      sessions.push(session.body.id);
    }

    assert.equal(await pressCtrlC(), 0, output);

    const db = createDb(database.url);
    try {
      const rows = await db.session.findMany({ where: { id: { in: sessions } }, select: { status: true } });
      assert.deepEqual(rows.map((row) => row.status), ['ended', 'ended'], output);
    } finally {
      await db.$disconnect();
    }
    for (const sessionId of sessions) {
      const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL.session}=${sessionId}`], { encoding: 'utf8' }).trim();
      assert.equal(left, '', `containers of session ${sessionId} are gone`);
    }
  });

  it('starts again on the same Postgres and Redis, serves a session, and stops on Ctrl-C', async () => {
    await startLauncher();
    const nodes = await api<{ nodes: Array<{ id: string; status: string }> }>('GET', '/api/v1/nodes', { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.deepEqual(nodes.body.nodes.map((node) => [node.id, node.status]), [['node-1', 'ready']]);
    const health = HealthView.parse((await api('GET', '/api/v1/health')).body);
    assert.deepEqual(health.nodes.map((node) => [node.id, node.linked]), [['node-1', true]]);
    const session = await api<SessionView>('POST', '/api/v1/sessions');
    assert.equal(session.status, 201);
    // At once, as a user would: "ready" waits for the agent's link too (it retries the replicas
    // with a backoff of up to 5 s, and until it links a create is refused as "not responding").
    const instance = await api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`);
    assert.equal(instance.status, 201, JSON.stringify(instance.body));
    assert.equal(await pressCtrlC(), 0, output);
  });
});
