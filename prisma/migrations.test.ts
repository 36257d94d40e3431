// Pins the migrations against the schema and the unmodified Prisma CLI working offline
// (through prisma/engine/schema-engine-stand-in.mjs when no native engine is installed):
// no drift between prisma/migrations and schema.prisma, `migrate status` on a deployed
// database, and `migrate dev --create-only` writing the next migration.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createTestDatabase } from '../test/support/database.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prismaBin = path.join(root, 'node_modules', '.bin', 'prisma');

function prisma(args: string[], { cwd = root, databaseUrl, extraEnv = {} }: { cwd?: string; databaseUrl: string; extraEnv?: Record<string, string> }) {
  const r = spawnSync(prismaBin, args, { cwd, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl, ...extraEnv }, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

test('prisma/migrations reproduce schema.prisma exactly (no drift)', async () => {
  // The shadow database is made on this database's server; the database itself is untouched.
  const db = await createTestDatabase('migrations-drift', { migrate: false });
  try {
    const r = prisma(['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', 'prisma/schema.prisma', '--exit-code'], { databaseUrl: db.url });
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /No difference detected/);
  } finally {
    await db.drop();
  }
});

test('prisma migrate status reports a deployed database as up to date', async () => {
  const db = await createTestDatabase('migrations-status');
  try {
    const r = prisma(['migrate', 'status'], { databaseUrl: db.url });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Database schema is up to date!/);
    const deploy = prisma(['migrate', 'deploy'], { databaseUrl: db.url });
    assert.equal(deploy.code, 0, deploy.out);
    assert.match(deploy.out, /No pending migrations to apply/);
  } finally {
    await db.drop();
  }
});

test('prisma migrate dev --create-only writes the next migration for a schema change', async () => {
  // A scratch project: a copy of the schema with one more column, the real migrations.
  const dir = mkdtempSync(path.join(tmpdir(), 'migrate-dev-'));
  const db = await createTestDatabase('migrations-dev', { migrate: false });
  try {
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    cpSync(path.join(root, 'prisma', 'migrations'), path.join(dir, 'prisma', 'migrations'), { recursive: true });
    const schema = readFileSync(path.join(root, 'prisma', 'schema.prisma'), 'utf8')
      .replace(/output\s*=\s*".*"/, `output = "${path.join(dir, 'generated')}"`)
      .replace(/(model Instance \{\n)/, '$1  scratchColumn Int?\n');
    assert.match(schema, /scratchColumn/);
    writeFileSync(path.join(dir, 'prisma', 'schema.prisma'), schema);
    writeFileSync(
      path.join(dir, 'prisma.config.ts'),
      "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations' }, datasource: { url: process.env.DATABASE_URL! } });\n",
    );
    const before = readdirSync(path.join(dir, 'prisma', 'migrations'));
    // This scratch config does not wire the stand-in; name it as the root config would.
    const extraEnv: Record<string, string> = process.env.PRISMA_SCHEMA_ENGINE_BINARY ? {} : { PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'prisma', 'engine', 'schema-engine-stand-in.mjs') };
    const r = prisma(['migrate', 'dev', '--create-only', '--name', 'scratch'], { cwd: dir, databaseUrl: db.url, extraEnv });
    assert.equal(r.code, 0, r.out);
    const created = readdirSync(path.join(dir, 'prisma', 'migrations')).filter((n) => !before.includes(n));
    assert.equal(created.length, 1, r.out);
    assert.match(created[0]!, /^\d{14}_scratch$/);
    const sql = readFileSync(path.join(dir, 'prisma', 'migrations', created[0]!, 'migration.sql'), 'utf8');
    assert.equal(sql.trim(), '-- AlterTable\nALTER TABLE "Instance" ADD COLUMN     "scratchColumn" INTEGER;');
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
