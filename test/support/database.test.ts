// Pins the test-database helper and the migrations: a fresh database ends up with every
// migration applied (with Prisma's checksums), a second run applies nothing, drop() removes it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { createTestDatabase, migrateDatabase, TEST_DATABASE_SERVER_URL } from './database.ts';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma', 'migrations');

function migrationsOnDisk(): { name: string; checksum: string }[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256').update(readFileSync(path.join(migrationsDir, name, 'migration.sql'))).digest('hex'),
    }));
}

/** The models schema.prisma declares, in the order Postgres sorts their table names. */
function modelsInSchema(): string[] {
  const schema = readFileSync(path.resolve(migrationsDir, '..', 'schema.prisma'), 'utf8');
  return [...schema.matchAll(/^model (\w+) \{/gm)].map((match) => match[1]!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

test('a fresh database gets every migration; a second run applies nothing; drop() removes it', async () => {
  const db = await createTestDatabase('database-helper');
  try {
    const rows = await withClient(db.url, async (c) =>
      (
        await c.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number }>(
          'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
        )
      ).rows,
    );
    assert.deepEqual(
      rows.map((r) => ({ name: r.migration_name, checksum: r.checksum })),
      migrationsOnDisk(),
      'one row per migration directory, checksum = sha256 of migration.sql',
    );
    for (const row of rows) {
      assert.ok(row.finished_at, `${row.migration_name} finished`);
      assert.equal(row.rolled_back_at, null);
      assert.equal(row.applied_steps_count, 1);
    }
    const tables = await withClient(db.url, async (c) =>
      (await c.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename),
    );
    // One table per model of schema.prisma, and Prisma's own record of what was applied.
    assert.deepEqual(tables, [...modelsInSchema(), '_prisma_migrations']);

    const again = await migrateDatabase(db.url);
    assert.match(again, /No pending migrations to apply/);
    const count = await withClient(db.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM _prisma_migrations')).rows[0].n);
    assert.equal(count, rows.length, 'second run recorded nothing new');
  } finally {
    await db.drop();
  }
  const left = await withClient(TEST_DATABASE_SERVER_URL, async (c) =>
    (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name])).rowCount,
  );
  assert.equal(left, 0, 'drop() removed the database');
  await db.drop(); // idempotent
});

test('two test databases with the same prefix do not collide', async () => {
  const [a, b] = await Promise.all([createTestDatabase('same'), createTestDatabase('same')]);
  try {
    assert.notEqual(a.name, b.name);
    assert.notEqual(a.url, b.url);
  } finally {
    await Promise.all([a.drop(), b.drop()]);
  }
});
