// A throwaway, fully migrated PostgreSQL database per test: created on the server that
// DATABASE_URL points at (as its role, which needs CREATEDB), dropped WITH (FORCE) by `drop()`.
// Migrated means: a copy (CREATE DATABASE … TEMPLATE) of a template database that
// infra/migrate.sh (the same path production uses) migrated once per set of migrations. A copy
// takes a fraction of a second; running the Prisma CLI for each of the suite's ~60 databases
// took seconds each.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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

/** Runs `work` on a connection to the server's own database (DATABASE_URL's). */
async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_SERVER_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new TestDatabaseError(
      `PostgreSQL is not reachable at ${redact(TEST_DATABASE_SERVER_URL)} (run infra/setup.sh): ${(error as Error).message}`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function adminQuery(sql: string): Promise<void> {
  await withAdminClient((client) => client.query(sql));
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

/** Creates a uniquely named database named after `prefix` with all migrations applied. */
export async function createTestDatabase(prefix: string, options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = testDatabaseName(prefix);
  if (options.migrate === false) await adminQuery(`CREATE DATABASE "${name}"`);
  else await copyMigratedTemplate(name);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await dropForcefully(name);
  };
  return { url: withDatabase(TEST_DATABASE_SERVER_URL, name), name, drop };
}

const migrationsDir = path.join(repoRoot, 'prisma', 'migrations');
const TEMPLATE_PREFIX = 't_template_';
/** Advisory lock key of the templates: copies hold it shared, a build (or removal) exclusively. */
const TEMPLATE_LOCK = 0x706c6179; // "play"

/** The template database of the migrations on disk: named by a hash of their names and SQL. */
export function templateDatabaseName(): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`${entry.name}\0`).update(readFileSync(path.join(migrationsDir, entry.name, 'migration.sql'))).update('\0');
  }
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

/**
 * CREATE DATABASE `name` as a copy of the migrated template, building the template first when
 * it is missing. Test files of other checkouts may share the server, so the template is built
 * under an exclusive advisory lock (under a temporary name, renamed once fully migrated: a
 * build that died leaves no half-migrated template) and copied under a shared one.
 */
async function copyMigratedTemplate(name: string): Promise<void> {
  const template = templateDatabaseName();
  await withAdminClient(async (client) => {
    const exists = async () => ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount ?? 0) > 0;
    await client.query('SELECT pg_advisory_lock_shared($1)', [TEMPLATE_LOCK]);
    try {
      if (!(await exists())) {
        await client.query('SELECT pg_advisory_unlock_shared($1)', [TEMPLATE_LOCK]);
        await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
        try {
          if (!(await exists())) await buildTemplate(client, template);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
        }
        await client.query('SELECT pg_advisory_lock_shared($1)', [TEMPLATE_LOCK]);
      }
      await copyDatabase(client, template, name);
    } finally {
      await client.query('SELECT pg_advisory_unlock_all()');
    }
  });
}

/**
 * CREATE DATABASE … TEMPLATE, again while the template is "being accessed by other users"
 * (55006): Postgres asks an autovacuum worker in it to stop, but gives up after 5 s.
 */
async function copyDatabase(client: pg.Client, template: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return void (await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt === 5) throw error;
    }
  }
}

/** Migrates a new database with infra/migrate.sh into `template`; removes templates of other migrations. */
async function buildTemplate(client: pg.Client, template: string): Promise<void> {
  const building = `${template}_building`;
  await dropForcefully(building); // left by a build that died
  await client.query(`CREATE DATABASE "${building}"`);
  try {
    await migrateDatabase(withDatabase(TEST_DATABASE_SERVER_URL, building));
    await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
  } catch (error) {
    await dropForcefully(building).catch(() => undefined);
    throw error;
  }
  // Templates of earlier (or other checkouts') migrations: made again if ever needed.
  const stale = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2', [TEMPLATE_PREFIX, template]);
  for (const { datname } of stale.rows) await dropForcefully(datname);
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
