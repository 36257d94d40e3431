import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'prisma/config';

import { LOCAL_DATABASE_URL } from './packages/contracts/src/local-database.ts';

const root = path.dirname(fileURLToPath(import.meta.url));

// Prisma's native schema engine is a binary downloaded from a host that many machines
// (CI, offline hosts) cannot reach, and every CLI command tries that download first. When
// no native binary is installed and none is named, point the CLI at a stand-in that drives
// the WebAssembly schema engine from npm (see prisma/README.md). An explicitly set
// PRISMA_SCHEMA_ENGINE_BINARY, or a native binary under @prisma/engines, always wins.
function nativeSchemaEngineInstalled(): boolean {
  const dir = path.join(root, 'node_modules', '@prisma', 'engines');
  return existsSync(dir) && readdirSync(dir).some((name) => /^schema-engine(-|$)/.test(name));
}
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && !nativeSchemaEngineInstalled()) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(root, 'prisma', 'engine', 'schema-engine-stand-in.mjs');
}

// DATABASE_URL defaults to the local database that infra/setup.sh creates.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? LOCAL_DATABASE_URL },
});
