import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { JOB, jobId, nodeQueueName, type SessionView } from '@playground/contracts';
import { Queue, Worker } from 'bullmq';
import { createDb, type Db } from './db.ts';
import { freePort } from '../../../infra/launcher/stack.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startPrivateRedis, type PrivateService } from '../test/harness.ts';

// kill -9 of the real orchestrator process (src/main.ts) while an instance is being
// created: after a restart the instance settles from its job (run once, not twice) and the
// API answers again. A BullMQ worker stands in for the node agent.

const here = path.dirname(fileURLToPath(import.meta.url));

describe('orchestrator killed mid-creation', () => {
  let database: TestDatabase;
  // Shared by the orchestrator before and after its restart, as a deployment's Redis is.
  let redis: PrivateService;
  let db: Db;
  let port: number;
  let child: ChildProcess | undefined;
  let worker: Worker | undefined;
  const nodeId = `restart-${randomBytes(4).toString('hex')}`;

  const start = async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts')], {
      env: {
        PATH: process.env.PATH,
        ORCHESTRATOR_PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        AGENT_SECRET: 'a'.repeat(32),
        ADMIN_TOKEN: 'b'.repeat(32),
        REAPER_INTERVAL_MS: '300',
        NODE_DOWN_AFTER_MS: '60000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child = proc;
    await eventually(
      async () => {
        if (proc.exitCode !== null) throw new Error(`the orchestrator exited with code ${proc.exitCode}`);
        return (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).ok;
      },
      { timeoutMs: 20_000, description: 'the orchestrator to answer /api/v1/health' },
    );
  };

  before(async () => {
    redis = await startPrivateRedis();
    database = await createTestDatabase('orch-restart');
    db = createDb(database.url);
    port = await freePort();
    await db.node.create({
      data: { id: nodeId, name: nodeId, capacityInstances: 10, capacityMemory: 8n << 30n, lastSeenAt: new Date(Date.now() + 3600_000) },
    });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await worker?.close();
    await db?.$disconnect();
    await database?.drop();
    await redis?.close();
  });

  it('the instance whose request died settles from its job, which ran exactly once', async () => {
    await start();
    const session = await (await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, { method: 'POST' })).json() as SessionView;
    let runs = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    worker = new Worker(
      nodeQueueName(nodeId),
      async (job) => {
        if (job.name !== JOB.createInstance) return { ok: true };
        runs++;
        await released; // still creating when the orchestrator dies
        return { instanceId: job.data.instanceId, containerId: 'c-1', ip: '10.5.0.2' };
      },
      { connection: { url: redis.url, maxRetriesPerRequest: null } },
    );
    worker.on('error', () => undefined);

    const request = fetch(`http://127.0.0.1:${port}/api/v1/sessions/${session.id}/instances`, { method: 'POST' }).catch(
      (error: Error) => error,
    );
    for (let i = 0; i < 200 && runs === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const instanceId = (await db.instance.findFirst({ where: { sessionId: session.id } }))?.id;
    assert.ok(instanceId, 'the create job reached the worker');
    child!.kill('SIGKILL');
    assert.ok((await request) instanceof Error, 'the request died with the process');
    release();
    await start();

    await eventually(async () => (await db.instance.findUniqueOrThrow({ where: { id: instanceId } })).status === 'running', {
      timeoutMs: 30_000,
      description: 'the instance to settle as running after the restart',
    });
    const row = await db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    assert.equal(row.ip, '10.5.0.2');
    assert.equal(runs, 1, 'the create job ran once');
    const queue = new Queue(nodeQueueName(nodeId), { connection: { url: redis.url } });
    try {
      assert.equal(await (await queue.getJob(jobId.createInstance(instanceId)))?.getState(), 'completed');
    } finally {
      await queue.close();
    }
    const view = await (await fetch(`http://127.0.0.1:${port}/api/v1/sessions/${session.id}`)).json() as SessionView;
    assert.deepEqual(view.instances.map((i) => i.status), ['running']);
  });
});
