import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../infra/launcher/stack.ts';
import { migrateDatabase } from './database.ts';
import { eventually } from './eventually.ts';

// A Redis server and a PostgreSQL cluster of a test's own, on free loopback ports in temp
// directories, so that a cross-app test can stop and start them (outages) without touching
// the machine's shared services that other test files use.

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A private service could not be started; the message says what is missing. */
export class PrivateServiceError extends Error {
  readonly code = 'PRIVATE_SERVICE_FAILED';
}

export interface PrivateService {
  url: string;
  running: boolean;
  /** Starts it again after stop() (no-op while it runs). */
  start(): Promise<void>;
  /** Stops it (SIGTERM, as an operator or a crash would) and waits until it is gone. */
  stop(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

// What each open service must do if the test process ends without closing it (a failed
// before-hook, a crash): synchronous, because an 'exit' listener cannot wait.
const leftBehind = new Map<PrivateService, () => void>();
process.once('exit', () => {
  for (const stopNow of leftBehind.values()) stopNow();
});

/** redis-server with an append-only file, so a restart keeps the queues as a real deployment does. */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'playground-redis-'));
  let child: ChildProcess | undefined;
  const ping = async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG';

  const service: PrivateService = {
    url: `redis://127.0.0.1:${port}`,
    running: false,
    async start() {
      if (service.running) return;
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
        { stdio: 'ignore' },
      );
      proc.on('error', () => undefined);
      child = proc;
      try {
        await eventually(async () => proc.exitCode === null && (await ping()), { timeoutMs: 10_000, description: `redis-server on 127.0.0.1:${port}` });
      } catch (error) {
        proc.kill('SIGKILL');
        throw new PrivateServiceError(`${(error as Error).message} (is redis-server installed? infra/setup.sh installs it)`);
      }
      service.running = true;
    },
    async stop() {
      const proc = child;
      child = undefined;
      service.running = false;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
    async close() {
      leftBehind.delete(service);
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  leftBehind.set(service, () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await service.start();
  return service;
}

/**
 * A PostgreSQL 15 cluster of its own (initdb + pg_ctl as user postgres in a temp dir), with
 * the role `playground` and a database `playground` migrated by infra/migrate.sh.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'playground-postgres-'));
  const data = path.join(dir, 'data');
  const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(() => undefined);
  if (!ids) throw new PrivateServiceError('the postgres user is missing (install PostgreSQL 15: infra/setup.sh)');
  chownSync(dir, Number(ids[0].stdout), Number(ids[1].stdout));
  const asPostgres = (bin: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args], { cwd: '/' });
  try {
    // fsync off: a throwaway cluster; trust on loopback only (listen_addresses below).
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new PrivateServiceError(`initdb failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;

  const service: PrivateService = {
    url: `postgresql://playground:playground@127.0.0.1:${port}/playground`,
    running: false,
    async start() {
      if (service.running) return;
      try {
        await asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
      } catch (error) {
        throw new PrivateServiceError(`pg_ctl start failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
      }
      service.running = true;
    },
    async stop() {
      service.running = false;
      // fast: disconnects clients, as a crash or an operator's restart would.
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).catch(() => undefined);
    },
    async close() {
      leftBehind.delete(service);
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  leftBehind.set(service, () => {
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'], { cwd: '/', stdio: 'ignore' });
    } catch {
      // Not running (never started, or already stopped by the test): nothing to stop.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await service.start();
  const psql = (sql: string) =>
    run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'psql'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], { cwd: '/' });
  try {
    await psql(`CREATE ROLE playground LOGIN PASSWORD 'playground' CREATEDB`);
    await psql('CREATE DATABASE playground OWNER playground');
    await migrateDatabase(service.url);
  } catch (error) {
    await service.close();
    throw error;
  }
  return service;
}
