#!/usr/bin/env node
// Stands in for Prisma's native `schema-engine` binary, which cannot be downloaded on hosts
// without access to Prisma's binaries host. prisma.config.ts points PRISMA_SCHEMA_ENGINE_BINARY
// here only when that variable is unset and no native binary is installed; if a native
// binary appears later (under @prisma/engines), this script steps aside and execs it.
// Protocol: see schema-engine-rpc.mjs.
import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

import { logLine, parseArgs, runOneShot, StandInServer, StandInUsageError } from './schema-engine-rpc.mjs';
import { openSchemaEngine, schemaEngineWasmVersion } from './wasm-engine.mjs';

const require = createRequire(import.meta.url);

/** Path of a native schema-engine binary installed beside @prisma/engines, if any. */
export function findNativeSchemaEngine() {
  let dir;
  try {
    dir = path.dirname(require.resolve('@prisma/engines/package.json'));
  } catch {
    return undefined;
  }
  for (const name of readdirSync(dir)) {
    if (!/^schema-engine(-|$)/.test(name)) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not executable: not a usable binary
    }
  }
  return undefined;
}

function stepAside(binary) {
  const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function serve(args) {
  const server = new StandInServer({
    openEngine: openSchemaEngine,
    datasource: args.datasource,
    schemaPaths: args.datamodels,
    log: (line) => process.stderr.write(`${String(line).trimEnd()}\n`),
  });
  process.stderr.write(`${logLine('INFO', 'Starting schema engine stand-in (wasm)', { git_hash: schemaEngineWasmVersion() })}\n`);
  // Requests are answered one at a time, in order, like the native engine's stdio loop.
  let queue = Promise.resolve();
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  input.on('line', (line) => {
    if (!line.trim()) return;
    // PRISMA_STAND_IN_TRACE=<file>: append each request's method (debugging the CLI's calls).
    if (process.env.PRISMA_STAND_IN_TRACE) {
      let method = '?';
      try {
        method = JSON.parse(line).method ?? 'answer';
      } catch {}
      appendFileSync(process.env.PRISMA_STAND_IN_TRACE, `${process.pid} ${method}\n`);
    }
    queue = queue.then(async () => {
      for (const out of await server.handleLine(line)) process.stdout.write(`${out}\n`);
    });
  });
  input.on('close', () => {
    // Exit explicitly: the wasm engine may leave timers (its advisory-lock timeout) running.
    queue.then(() => server.close()).finally(() => process.exit(0));
  });
  process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
  // The wasm glue throws some errors (bad params, panics) outside the request's promise.
  // Answer the request in flight, then exit like a panicked native engine (101).
  process.on('uncaughtException', (error) => {
    if (server.current !== undefined) process.stdout.write(`${JSON.stringify(StandInServer.crashResponse(server.current, error))}\n`);
    process.stderr.write(`${logLine('ERROR', String(error?.message ?? error), { is_panic: true })}\n`);
    process.exit(101);
  });
}

async function main() {
  const native = process.env.PRISMA_STAND_IN_IGNORE_NATIVE === '1' ? undefined : findNativeSchemaEngine();
  if (native) return stepAside(native);

  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof StandInUsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (args.version) {
    process.stdout.write(`schema-engine-cli ${schemaEngineWasmVersion().split('.').pop()} (wasm stand-in)\n`);
    return;
  }
  if (args.cliCommand) {
    const { code, stdout, stderr } = await runOneShot(args.cliCommand, args.datasource);
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    process.exit(code);
  }
  await serve(args);
}

await main();
