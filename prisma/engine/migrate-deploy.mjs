#!/usr/bin/env node
// Applies pending migrations from prisma/migrations to DATABASE_URL with the wasm schema
// engine, without the Prisma CLI: the same engine code path as `prisma migrate deploy`
// (same `_prisma_migrations` rows and checksums). A fallback for when the CLI cannot run;
// infra/migrate.sh uses the CLI.
//
// Usage: DATABASE_URL=postgresql://… node prisma/engine/migrate-deploy.mjs [migrationsDir]
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readMigrationsList } from './migrations-list.mjs';
import { openSchemaEngine } from './wasm-engine.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Applies what is pending; returns the names of the migrations applied now. */
export async function migrateDeploy({ url, migrationsDir = path.join(here, '..', 'migrations') }) {
  const { engine, close } = await openSchemaEngine({ url });
  try {
    const migrationsList = await readMigrationsList(path.resolve(migrationsDir));
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList,
      filters: { externalTables: [], externalEnums: [] },
    });
    return appliedMigrationNames;
  } finally {
    await close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Exit explicitly: the wasm engine leaves a 10 s advisory-lock timer running.
  // No default of its own: infra/migrate.sh, its caller, supplies the local database's URL.
  if (!process.env.DATABASE_URL) {
    console.error('migrate-deploy: DATABASE_URL is not set (run it through infra/migrate.sh, which defaults it)');
    process.exit(2);
  }
  try {
    const applied = await migrateDeploy({ url: process.env.DATABASE_URL, migrationsDir: process.argv[2] });
    console.log(applied.length === 0 ? 'No pending migrations to apply.' : `Applied: ${applied.join(', ')}`);
    process.exit(0);
  } catch (error) {
    console.error(`migrate-deploy failed: ${error?.message ?? error}`);
    process.exit(1);
  }
}
