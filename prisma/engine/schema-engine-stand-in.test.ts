// Pins the stand-in schema engine's protocol as the Prisma CLI speaks it (argument parsing,
// JSON-RPC over stdio with `print` requests, one-shot `cli` commands whose first stderr
// line the CLI drops, stepping aside for a native binary), against real PostgreSQL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { createTestDatabase, testDatabaseName, TEST_DATABASE_SERVER_URL } from '../../test/support/database.ts';
import { parseArgs, StandInUsageError } from './schema-engine-rpc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const standIn = path.join(here, 'schema-engine-stand-in.mjs');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const migrationsDir = path.join(root, 'prisma', 'migrations');
const FILTERS = { externalTables: [], externalEnums: [] };
// Never step aside for a native binary in these tests, except in the one that checks it.
const env = { ...process.env, PRISMA_STAND_IN_IGNORE_NATIVE: '1' };

type Json = Record<string, any>;

/** Talks to the stand-in the way the CLI does: requests in, answers `print` requests. */
function startEngine(url: string) {
  const child = spawn(standIn, ['--datamodels', schemaPath, '--datasource', JSON.stringify({ url })], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const printed: string[] = [];
  const waiting = new Map<number, (r: Json) => void>();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.method === 'print') {
      printed.push(msg.params.content);
      child.stdin.write(`${JSON.stringify({ id: msg.id, jsonrpc: '2.0', result: {} })}\n`);
      return;
    }
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  let nextId = 1;
  return {
    printed,
    stderr: () => stderr,
    raw(line: string, id: number): Promise<Json> {
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin.write(`${line}\n`);
      });
    },
    call(method: string, params?: Json): Promise<Json> {
      const id = nextId++;
      return this.raw(JSON.stringify({ jsonrpc: '2.0', id, method, params }), id);
    },
    async stop(): Promise<number | null> {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.stdin.end();
      return exited;
    },
  };
}

function migrationsList() {
  const content = (name: string) => ({ tag: 'ok', value: readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8') });
  const dirs = spawnSync('ls', [migrationsDir], { encoding: 'utf8' }).stdout.split('\n').filter((n) => /^\d+_/.test(n));
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: readFileSync(path.join(migrationsDir, 'migration_lock.toml'), 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => ({ path: name, migrationFile: { path: 'migration.sql', content: content(name) } })),
  };
}

async function databaseNames(): Promise<string[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_SERVER_URL });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

function oneShot(url: string, command: string) {
  const r = spawnSync(standIn, ['--datasource', JSON.stringify({ url }), 'cli', command], { env, encoding: 'utf8' });
  // What the CLI reads: every stderr line but the first, each one JSON.
  const lines = r.stderr.split(/\r?\n/).slice(1).filter(Boolean).map((l) => JSON.parse(l));
  return { code: r.status, lines };
}

test('parseArgs reads the native engine command line', () => {
  assert.deepEqual(parseArgs(['--datamodels', 'a.prisma', '--datamodels', 'b.prisma', '--datasource', '{"url":"postgresql://x/y"}', '--enabled-preview-features', 'views,foo']), {
    datamodels: ['a.prisma', 'b.prisma'],
    datasource: { url: 'postgresql://x/y' },
    previewFeatures: ['views', 'foo'],
    version: false,
    cliCommand: undefined,
  });
  assert.equal(parseArgs(['--datasource', '{"url":"u"}', 'cli', 'create-database']).cliCommand, 'create-database');
  assert.equal(parseArgs(['--version']).version, true);
  assert.throws(() => parseArgs(['--datasource', 'not json']), StandInUsageError);
  assert.throws(() => parseArgs(['--bogus']), StandInUsageError);
  assert.throws(() => parseArgs(['--datamodels']), StandInUsageError);
});

test('--version names the wasm engine', () => {
  const r = spawnSync(standIn, ['--version'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^schema-engine-cli [0-9a-f]{40} \(wasm stand-in\)\n$/);
});

test('JSON-RPC: migrates a fresh database, reports history, prints diffs, survives bad input', async () => {
  const db = await createTestDatabase('stand-in-rpc', { migrate: false });
  const engine = startEngine(db.url);
  try {
    const version = await engine.call('getDatabaseVersion', {});
    assert.match(version.result, /^PostgreSQL \d+/);

    const before = await engine.call('diagnoseMigrationHistory', { migrationsList: migrationsList(), optInToShadowDatabase: false, filters: FILTERS });
    assert.equal(before.result.hasMigrationsTable, false);
    assert.equal(before.result.history.diagnostic, 'databaseIsBehind');

    const applied = await engine.call('applyMigrations', { migrationsList: migrationsList(), filters: FILTERS });
    assert.deepEqual(applied.result.appliedMigrationNames, migrationsList().migrationDirectories.map((d) => d.path));
    const again = await engine.call('applyMigrations', { migrationsList: migrationsList(), filters: FILTERS });
    assert.deepEqual(again.result.appliedMigrationNames, []);

    // Drift check through the shadow database, and the diff text arrives as a `print` request.
    const diff = await engine.call('diff', {
      from: { tag: 'migrations', ...migrationsList() },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: readFileSync(schemaPath, 'utf8') }] },
      script: false,
      exitCode: true,
      filters: FILTERS,
    });
    assert.equal(diff.result.exitCode, 0, 'migrations and schema.prisma agree');
    assert.match(engine.printed.join(''), /No difference detected/);

    const unknown = await engine.call('noSuchMethod', {});
    assert.equal(unknown.error.data.is_panic, false);
    assert.match(unknown.error.data.message, /not supported/);
    const bad = await engine.raw('{"jsonrpc":"2.0","id":99,"method":"applyMigrations","params":{"migrationsList":{"baseDir":"/nowhere","lockfile":{"path":"migration_lock.toml","content":null},"shadowDbInitScript":"","migrationDirectories":[{"path":"0_broken","migrationFile":{"path":"migration.sql","content":{"tag":"ok","value":"SELEC 1;"}}}]},"filters":{"externalTables":[],"externalEnums":[]}}}', 99);
    assert.match(bad.error.data.message, /syntax error/);
  } finally {
    assert.equal(await engine.stop(), 0, `stand-in exits 0 when stdin closes; stderr: ${engine.stderr()}`);
    await db.drop();
  }
  assert.deepEqual((await databaseNames()).filter((n) => n.startsWith('prisma_shadow_')), [], 'shadow databases are dropped');
});

test('one-shot cli commands: can-connect, create-database, drop-database, error codes', async () => {
  const name = testDatabaseName('stand-in-oneshot');
  const url = new URL(TEST_DATABASE_SERVER_URL);
  url.pathname = `/${name}`;
  try {
    const missing = oneShot(url.toString(), 'can-connect-to-database');
    assert.equal(missing.code, 1);
    const error = missing.lines.find((l) => l.level === 'ERROR' && l.target === 'schema_engine::logger');
    assert.equal(error?.fields.error_code, 'P1003', 'a missing database is P1003, which makes the CLI create it');

    assert.equal(oneShot(url.toString(), 'create-database').code, 0);
    assert.ok((await databaseNames()).includes(name));
    assert.equal(oneShot(url.toString(), 'can-connect-to-database').code, 0);
    assert.equal(oneShot(url.toString(), 'drop-database').code, 0);
    assert.ok(!(await databaseNames()).includes(name));

    const refused = new URL(url);
    refused.port = '1';
    assert.equal(oneShot(refused.toString(), 'can-connect-to-database').lines.find((l) => l.level === 'ERROR')?.fields.error_code, 'P1001');
  } finally {
    const client = new pg.Client({ connectionString: TEST_DATABASE_SERVER_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  }
});

test('steps aside for a native schema-engine binary under @prisma/engines', () => {
  // A copy of prisma/engine beside a node_modules whose @prisma/engines holds a "native" binary.
  const dir = mkdtempSync(path.join(tmpdir(), 'stand-in-'));
  try {
    const nm = path.join(dir, 'node_modules');
    mkdirSync(path.join(nm, '@prisma', 'engines'), { recursive: true });
    writeFileSync(path.join(nm, '@prisma', 'engines', 'package.json'), '{"name":"@prisma/engines","version":"0.0.0"}');
    const fake = path.join(nm, '@prisma', 'engines', 'schema-engine-debian-openssl-3.0.x');
    writeFileSync(fake, '#!/bin/sh\necho "native $*"\nexit 7\n');
    chmodSync(fake, 0o755);
    for (const pkg of ['pg', '@prisma/adapter-pg', '@prisma/driver-adapter-utils', '@prisma/schema-engine-wasm']) {
      mkdirSync(path.dirname(path.join(nm, pkg)), { recursive: true });
      symlinkSync(realpathSync(path.join(root, 'node_modules', pkg)), path.join(nm, pkg));
    }
    const engineDir = path.join(dir, 'engine');
    mkdirSync(engineDir);
    for (const f of ['schema-engine-stand-in.mjs', 'schema-engine-rpc.mjs', 'wasm-engine.mjs']) {
      writeFileSync(path.join(engineDir, f), readFileSync(path.join(here, f)));
    }
    chmodSync(path.join(engineDir, 'schema-engine-stand-in.mjs'), 0o755);
    const { PRISMA_STAND_IN_IGNORE_NATIVE: _, ...plain } = process.env;
    const r = spawnSync(path.join(engineDir, 'schema-engine-stand-in.mjs'), ['--version'], { env: plain, encoding: 'utf8' });
    assert.equal(r.stdout, 'native --version\n');
    assert.equal(r.status, 7, "the native binary's exit code is passed on");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
