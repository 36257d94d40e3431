// The protocol half of the stand-in schema engine: what the Prisma CLI (7.10) expects from
// the native `schema-engine` binary, answered with the wasm engine.
//
// - Arguments: `--datamodels <path>` (repeatable), `--datasource <json {url, shadowDatabaseUrl?}>`,
//   `--enabled-preview-features a,b`, `--extension-types <json>`, `--version`, and one-shot
//   `cli <command>` (can-connect-to-database, create-database, drop-database).
// - Server mode: JSON-RPC 2.0, one request per stdin line, one response per stdout line;
//   logs are JSON lines on stderr ({level, target, fields: {message, …}}).
// - One-shot mode: exit 0 on success; on failure exit 1 with JSON log lines on stderr where
//   the CLI looks for {level: "ERROR", target: "schema_engine::logger", fields: {error_code,
//   message}}. The CLI discards the FIRST stderr line of a one-shot command (the native
//   engine's start-up line), so one is always written first.
import { readFile } from 'node:fs/promises';

import pg from 'pg';

import { databaseOf, quoteIdent, withDatabase } from './wasm-engine.mjs';

export class StandInUsageError extends Error {
  code = 'STAND_IN_USAGE';
}

/** Parses the native engine's command line. */
export function parseArgs(argv) {
  const out = { datamodels: [], datasource: undefined, previewFeatures: [], version: false, cliCommand: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new StandInUsageError(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--datamodels':
      case '-d':
        out.datamodels.push(value());
        break;
      case '--datasource': {
        const raw = value();
        try {
          out.datasource = JSON.parse(raw);
        } catch {
          throw new StandInUsageError('--datasource must be JSON');
        }
        break;
      }
      case '--enabled-preview-features':
        out.previewFeatures = value().split(',').filter(Boolean);
        break;
      case '--extension-types':
        value(); // Postgres extensions' types: not used by these migrations.
        break;
      case '--version':
      case '-V':
        out.version = true;
        break;
      case 'cli':
        out.cliCommand = argv[++i];
        if (!out.cliCommand) throw new StandInUsageError('cli needs a command');
        break;
      default:
        throw new StandInUsageError(`unknown argument ${arg}`);
    }
  }
  return out;
}

/** One log line in the native engine's stderr format. */
export function logLine(level, message, extra = {}) {
  return JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message, ...extra }, target: 'schema_engine::logger' });
}

// Postgres connection failures mapped to the error codes the CLI acts on (P1003 makes
// `migrate deploy`/`migrate dev` create the database).
export function connectionErrorCode(error, url) {
  const db = databaseOf(url);
  const u = new URL(url);
  switch (error?.code) {
    case '3D000':
      return { error_code: 'P1003', message: `Database \`${db}\` does not exist on the database server at \`${u.hostname}:${u.port || 5432}\`.` };
    case '28P01':
    case '28000':
      return { error_code: 'P1000', message: `Authentication failed against database server, the provided database credentials for \`${decodeURIComponent(u.username)}\` are not valid.` };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return { error_code: 'P1001', message: `Can't reach database server at \`${u.hostname}:${u.port || 5432}\`` };
    default:
      return { error_code: 'P1000', message: String(error?.message ?? error) };
  }
}

async function withPg(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// CREATE/DROP DATABASE run from a maintenance database, as the native engine does.
async function withMaintenance(url, fn) {
  let lastError;
  for (const db of ['postgres', 'template1']) {
    try {
      return await withPg(withDatabase(url, db), fn);
    } catch (error) {
      if (error?.code !== '3D000' && error?.code !== '42501') throw error;
      lastError = error;
    }
  }
  throw lastError;
}

export async function createDatabase(url) {
  const name = databaseOf(url);
  await withMaintenance(url, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return name;
}

/** Runs a one-shot `cli <command>`; returns { code, stdout, stderr } for the process. */
export async function runOneShot(command, datasource) {
  const url = datasource?.url;
  const stderr = [logLine('INFO', 'Starting schema engine stand-in (wasm)')];
  if (!url) {
    stderr.push(logLine('ERROR', 'The --datasource argument with a url is required for cli commands', { error_code: 'P1012' }));
    return { code: 1, stdout: '', stderr: stderr.join('\n') + '\n' };
  }
  try {
    switch (command) {
      case 'can-connect-to-database':
        await withPg(url, (c) => c.query('SELECT 1'));
        break;
      case 'create-database':
        await createDatabase(url);
        break;
      case 'drop-database':
        await withMaintenance(url, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseOf(url))} WITH (FORCE)`));
        break;
      default:
        stderr.push(logLine('ERROR', `unknown cli command ${command}`, { error_code: 'P1012' }));
        return { code: 1, stdout: '', stderr: stderr.join('\n') + '\n' };
    }
    return { code: 0, stdout: '', stderr: stderr.join('\n') + '\n' };
  } catch (error) {
    const { error_code, message } = connectionErrorCode(error, url);
    stderr.push(logLine('ERROR', message, { error_code }));
    return { code: 1, stdout: '', stderr: stderr.join('\n') + '\n' };
  }
}

function errorResponse(id, message, { panic = false, code = -32000 } = {}) {
  return { jsonrpc: '2.0', id, error: { code, message, data: { is_panic: panic, message, meta: null, error_code: null } } };
}

const FILTERS_DEFAULT = { externalTables: [], externalEnums: [] };

/**
 * Answers JSON-RPC requests with wasm engines. `openEngine({url, shadowDatabaseUrl, schemas})`
 * returns {engine, close}; one engine is kept per url (the datasource's, or a `url` diff target).
 */
export class StandInServer {
  #openEngine;
  #datasource;
  #schemaPaths;
  #engines = new Map();
  #lastMethod = undefined;
  #log;

  constructor({ openEngine, datasource, schemaPaths = [], log = () => {} }) {
    this.#openEngine = openEngine;
    this.#datasource = datasource ?? {};
    this.#schemaPaths = schemaPaths;
    this.#log = log;
  }

  async #engineFor(url = this.#datasource.url) {
    if (!url) throw new StandInUsageError('no datasource url: set datasource.url in prisma.config.ts');
    let opened = this.#engines.get(url);
    if (!opened) {
      const schemas = await Promise.all(this.#schemaPaths.map(async (p) => [p, await readFile(p, 'utf8')]));
      opened = this.#openEngine({
        url,
        shadowDatabaseUrl: url === this.#datasource.url ? this.#datasource.shadowDatabaseUrl : undefined,
        schemas,
        log: (line) => this.#log(line),
      });
      this.#engines.set(url, opened);
    }
    return (await opened).engine;
  }

  /** The id of the request being handled, if any (for reporting a crash against it). */
  current = undefined;

  /** The response for a request that crashed the engine outside its promise. */
  static crashResponse(id, error) {
    return errorResponse(id ?? null, String(error?.message ?? error), { panic: true });
  }

  /** Handles one request object; resolves to the response object (never rejects). */
  async handle(request) {
    const id = request?.id ?? null;
    this.current = id;
    if (!request || typeof request.method !== 'string') return errorResponse(id, 'Invalid request', { code: -32600 });
    const params = request.params ?? {};
    try {
      return { jsonrpc: '2.0', id, result: await this.#dispatch(request.method, params) };
    } catch (error) {
      const panic = request.method === 'debugPanic' || /panicked/i.test(String(error?.message));
      return errorResponse(id, String(error?.message ?? error), { panic });
    } finally {
      this.current = undefined;
      this.#lastMethod = request.method;
    }
  }

  /**
   * Handles one stdin line; returns the stdout lines to write, in order. The CLI's answers
   * to our `print` requests carry no method and need no reply.
   */
  async handleLine(line) {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      return [JSON.stringify(errorResponse(null, 'Parse error', { code: -32700 }))];
    }
    if (request && request.method === undefined && ('result' in request || 'error' in request)) return [];
    const response = await this.handle(request);
    // `migrate diff` output reaches the user the way the native engine sends it: a `print`
    // request that the CLI writes to its stdout (and captures for --output).
    const content = request.method === 'diff' ? response.result?.stdout : undefined;
    if (typeof content === 'string') {
      return [JSON.stringify({ jsonrpc: '2.0', id: this.#printId++, method: 'print', params: { content } }), JSON.stringify(response)];
    }
    return [JSON.stringify(response)];
  }

  // Ids of our requests to the CLI; a range of their own so they never look like answers.
  #printId = 1_000_000;

  async #dispatch(method, params) {
    switch (method) {
      case 'getDatabaseVersion':
        // The wasm engine ignores the datasource; a partial one would make it throw.
        return (await this.#engineFor()).version(undefined);
      case 'createDatabase': {
        const url = params?.datasource?.url ?? this.#datasource.url;
        return { databaseName: await createDatabase(url) };
      }
      case 'diff': {
        // A `url` side means that database; otherwise the datasource's.
        const url = [params.from, params.to].find((t) => t?.tag === 'url')?.url;
        return (await this.#engineFor(url)).diff({ filters: FILTERS_DEFAULT, exitCode: null, ...params });
      }
      case 'createMigration':
      case 'evaluateDataLoss': {
        const engine = await this.#engineFor();
        // The wasm engine sets up its shadow database only inside a devDiagnostic that needed
        // one; without that, these two fail ("shadow DB must be provided through an external
        // factory") — e.g. on a fresh database, where the CLI's devDiagnostic ran before
        // applyMigrations. So prime it, unless evaluateDataLoss just did (the CLI's pair).
        if (!(method === 'createMigration' && this.#lastMethod === 'evaluateDataLoss')) {
          await engine.devDiagnostic({ migrationsList: params.migrationsList, filters: params.filters ?? FILTERS_DEFAULT });
        }
        return engine[method](params);
      }
      case 'dbExecute': {
        const url = params.datasourceType?.tag === 'url' ? params.datasourceType.url : undefined;
        return (await (await this.#engineFor(url)).dbExecute(params)) ?? {};
      }
      case 'applyMigrations':
      case 'devDiagnostic':
      case 'diagnoseMigrationHistory':
      case 'ensureConnectionValidity':
      case 'introspect':
      case 'introspectSql':
      case 'markMigrationApplied':
      case 'markMigrationRolledBack':
      case 'reset':
      case 'schemaPush':
        return (await (await this.#engineFor())[method](params)) ?? {};
      case 'debugPanic':
        (await this.#engineFor()).debugPanic();
        return {};
      default:
        throw new StandInUsageError(`method ${method} is not supported by the wasm stand-in engine`);
    }
  }

  /** Frees every engine and its connections. */
  async close() {
    const opened = [...this.#engines.values()];
    this.#engines.clear();
    await Promise.allSettled(opened.map(async (p) => (await p).close()));
  }
}
