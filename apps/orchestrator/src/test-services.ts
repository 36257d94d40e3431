import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { migrateDatabase } from '../../../test/support/database.ts';

// Private Redis and PostgreSQL servers for outage tests: each on a spare loopback port, in
// its own temp directory, stopped and started at will. The machine's shared services are
// never touched (other engineers' tests use them).

const run = promisify(execFile);

export async function sparePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export class TestServiceError extends Error {
  readonly code = 'test_service_failed';
}

export interface PrivateService {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

/** A redis-server of our own (append-only file, so a restart keeps the queues like a real deployment). */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await sparePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-test-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    child = proc;
    proc.on('error', () => undefined);
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
        if (stdout.trim() === 'PONG') return;
      } catch {
        // not up yet
      }
      if (proc.exitCode !== null || Date.now() > deadline) {
        throw new TestServiceError(`redis-server did not start on port ${port} (is redis-server installed?)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 cluster of our own (initdb + pg_ctl as user postgres in a temp dir),
 * with the role `playground` and a migrated database `playground`.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const port = await sparePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-test-postgres-'));
  const data = path.join(dir, 'data');
  const { stdout: uid } = await run('id', ['-u', 'postgres']).catch(() => ({ stdout: '' }));
  if (!uid.trim()) throw new TestServiceError('the postgres user is missing (install PostgreSQL 15: infra/setup.sh)');
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(dir, Number(uid), Number(gid));
  const asPostgres = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]);
  try {
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  } catch (error) {
    throw new TestServiceError(`initdb failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).catch(() => undefined);
  };
  await start();
  const psql = (sql: string) =>
    run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'psql'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  await psql(`CREATE ROLE playground LOGIN PASSWORD 'playground' CREATEDB`);
  await psql(`CREATE DATABASE playground OWNER playground`);
  const url = `postgresql://playground:playground@127.0.0.1:${port}/playground`;
  await migrateDatabase(url);
  return {
    url,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
