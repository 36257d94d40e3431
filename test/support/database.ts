// A throwaway, fully migrated PostgreSQL database per test: created on the server that
// DATABASE_URL points at (as its role, which needs CREATEDB), migrated with infra/migrate.sh
// (the same path production uses), dropped WITH (FORCE) by `drop()`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { LOCAL_DATABASE_URL } from '@playground/contracts/local-database';
import pg from 'pg';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The server and role test databases are made with; the database name is replaced. */
export const TEST_DATABASE_SERVER_URL = process.env.DATABASE_URL ?? LOCAL_DATABASE_URL;

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Name of the new database. */
  name: string;
  /** Drops the database, closing any connections still open to it. Idempotent. */
  drop(): Promise<void>;
}

export class TestDatabaseError extends Error {
  readonly code = 'TEST_DATABASE_FAILED';
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_SERVER_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new TestDatabaseError(
      `PostgreSQL is not reachable at ${redact(TEST_DATABASE_SERVER_URL)} (run infra/setup.sh): ${(error as Error).message}`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Unique, lower-case database name (Postgres keeps 63 bytes of an identifier). */
export function testDatabaseName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'test';
  return `t_${clean.slice(0, 36)}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Applies every pending migration in prisma/migrations to `url`; returns the tool's output. */
export async function migrateDatabase(url: string): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync('bash', [path.join(repoRoot, 'infra', 'migrate.sh')], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: url },
      timeout: 120_000,
    });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new TestDatabaseError(`migrating ${redact(url)} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

export interface CreateTestDatabaseOptions {
  /** Apply prisma/migrations (default true); false leaves the database empty. */
  migrate?: boolean;
}

/** Creates a uniquely named database named after `prefix` and applies all migrations. */
export async function createTestDatabase(prefix: string, options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = testDatabaseName(prefix);
  await adminQuery(`CREATE DATABASE "${name}"`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await dropForcefully(name);
  };
  const url = withDatabase(TEST_DATABASE_SERVER_URL, name);
  try {
    if (options.migrate !== false) await migrateDatabase(url);
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { url, name, drop };
}

/**
 * DROP DATABASE … WITH (FORCE), again while an autovacuum worker holds the database: Postgres 15
 * refuses to terminate it for a role that is not a superuser (42501, "must be a member of the
 * role whose process is being terminated"), and the worker is gone a moment later.
 */
async function dropForcefully(name: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
