// Pins the CLI-less applier (MIGRATE_WITH=engine): a fresh database gets every migration with
// Prisma's rows and checksums, a second run applies nothing, and the CLI agrees afterwards.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { createTestDatabase } from '../../test/support/database.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(cmd: string, args: string[], url: string) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: url }, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('migrate-deploy.mjs applies pending migrations once, compatibly with the CLI', async () => {
  const db = await createTestDatabase('engine-deploy', { migrate: false });
  try {
    const first = run('node', ['prisma/engine/migrate-deploy.mjs'], db.url);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /^Applied: \d{14}_init/);
    const second = run('node', ['prisma/engine/migrate-deploy.mjs'], db.url);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /No pending migrations to apply/);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = (await client.query('SELECT migration_name, checksum FROM _prisma_migrations')).rows;
    await client.end();
    for (const row of rows) {
      const sql = readFileSync(path.join(root, 'prisma', 'migrations', row.migration_name, 'migration.sql'));
      assert.equal(row.checksum, createHash('sha256').update(sql).digest('hex'));
    }

    const status = run(path.join(root, 'node_modules', '.bin', 'prisma'), ['migrate', 'status'], db.url);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /Database schema is up to date!/);
  } finally {
    await db.drop();
  }
});

test('migrate-deploy.mjs fails with a message and exit code 1 when the database is unreachable', () => {
  const r = run('node', ['prisma/engine/migrate-deploy.mjs'], 'postgresql://playground:playground@127.0.0.1:1/nowhere');
  assert.equal(r.code, 1);
  assert.match(r.out, /^migrate-deploy failed: /m);
});
