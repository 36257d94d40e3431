// Loads Prisma's WebAssembly schema engine (@prisma/schema-engine-wasm) and connects it to
// PostgreSQL through @prisma/adapter-pg, with the fixes this engine needs to run safely:
//
// - The package imports its .wasm as an ES module, which Node 20 cannot do without a flag,
//   so the module is instantiated here by hand against its own JS glue.
// - Introspection queries return Postgres's internal one-byte `"char"` type (OID 18), which
//   adapter-pg refuses; it is reported as text, which is what it is.
// - adapter-pg's shadow-database factory keeps the `connectionString`, which wins over the
//   `database` it sets, so its "shadow" would be the MAIN database and migrations would be
//   replayed on live data. The shadow database is created, addressed and dropped here.
//
// Plain .mjs (not TypeScript): the Prisma CLI spawns the stand-in as an executable.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

const require = createRequire(import.meta.url);

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

let loaded;

/** Instantiates the wasm module once per process and returns its bindings. */
export async function loadSchemaEngineWasm() {
  if (!loaded) {
    loaded = (async () => {
      const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
      const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
      const bytes = readFileSync(gluePath.replace(/\.js$/, '.wasm'));
      const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bindings });
      bindings.__wbg_set_wasm(instance.exports);
      instance.exports.__wbindgen_start();
      return bindings;
    })();
  }
  return loaded;
}

/** The version string of the wasm engine package (git hash of prisma-engines). */
export function schemaEngineWasmVersion() {
  const dir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** Returns `url` with its database name replaced. */
export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database name a postgres URL points at. */
export function databaseOf(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || new URL(url).username;
}

export function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

// performIO is adapter-pg's single path to the driver (pinned version 7.10.x); rewriting the
// field type there is the narrowest place to make `"char"` columns readable.
function charAsText(queryable) {
  const performIO = queryable.performIO;
  if (typeof performIO !== 'function') {
    throw new Error('adapter-pg changed: performIO is gone; update prisma/engine/wasm-engine.mjs');
  }
  queryable.performIO = async function (query) {
    const result = await performIO.call(this, query);
    if (result?.fields) {
      for (const field of result.fields) {
        if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      }
    }
    return result;
  };
  const startTransaction = queryable.startTransaction;
  if (typeof startTransaction === 'function') {
    queryable.startTransaction = async function (...args) {
      return charAsText(await startTransaction.apply(this, args));
    };
  }
  return queryable;
}

/** Runs one statement on a short-lived connection to `url` (for CREATE/DROP DATABASE). */
export async function runAdminStatement(url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A migration-aware adapter factory for `url`. `shadowDatabaseUrl`, when given, names a
 * shadow database the caller owns; otherwise each shadow is a fresh uniquely named database
 * on the same server, dropped WITH (FORCE) when the engine lets go of it.
 */
export function createAdapterFactory(url, { shadowDatabaseUrl } = {}) {
  // Pools the engine never disposes would keep the process alive for pg's idle timeout.
  const open = new Set();
  const track = (adapter) => {
    open.add(adapter);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      open.delete(adapter);
      await dispose();
    };
    return adapter;
  };
  const factory = {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    async connect() {
      return track(charAsText(await new PrismaPg({ connectionString: url }).connect()));
    },
    async connectToShadowDb() {
      if (shadowDatabaseUrl) {
        return track(charAsText(await new PrismaPg({ connectionString: shadowDatabaseUrl }).connect()));
      }
      const name = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
      await runAdminStatement(url, `CREATE DATABASE ${quoteIdent(name)}`);
      const adapter = charAsText(await new PrismaPg({ connectionString: withDatabase(url, name) }).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        try {
          await dispose();
        } finally {
          await runAdminStatement(url, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        }
      };
      return track(adapter);
    },
  };
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  /** Disposes every adapter still open (drops any shadow database left behind). */
  bound.disposeAll = async () => {
    await Promise.allSettled([...open].map((adapter) => adapter.dispose()));
  };
  return bound;
}

/**
 * Starts a wasm schema engine for `url`. `schemas` is a list of [path, content] pairs;
 * `log` receives the engine's JSON log lines.
 */
export async function openSchemaEngine({ url, shadowDatabaseUrl, schemas = [], log = () => {} }) {
  const { SchemaEngine } = await loadSchemaEngineWasm();
  const factory = createAdapterFactory(url, { shadowDatabaseUrl });
  const engine = await SchemaEngine.new({ datamodels: schemas.length > 0 ? schemas : undefined }, log, factory);
  return {
    engine,
    /** Frees the engine and closes its connections. */
    async close() {
      engine.free();
      await factory.disposeAll();
    },
  };
}
