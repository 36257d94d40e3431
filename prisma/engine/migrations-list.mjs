// Reads prisma/migrations the way the Prisma CLI does before it hands the list to the schema
// engine: the lock file, then one entry per directory (sorted by name) with its
// migration.sql, a read error being passed on rather than thrown so the engine can report it.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const LOCKFILE = 'migration_lock.toml';

/** The engine's `MigrationList` for the migrations directory `baseDir`. */
export async function readMigrationsList(baseDir, shadowDbInitScript = '') {
  const lockfile = { path: LOCKFILE, content: await readFile(path.join(baseDir, LOCKFILE), 'utf8').catch(() => null) };
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const content = await readFile(path.join(baseDir, entry.name, 'migration.sql'), 'utf8').then(
      (value) => ({ tag: 'ok', value }),
      (error) => ({ tag: 'error', value: error.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: 'migration.sql', content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return { baseDir, lockfile, shadowDbInitScript, migrationDirectories };
}
