import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { LABEL } from '@playground/contracts';
import { REPO_ROOT } from '../infra/launcher/stack.ts';
import { concurrentTerminals } from './metrics/concurrent-terminals.ts';
import { echoLatency } from './metrics/echo-latency.ts';
import { idleInstanceMemory } from './metrics/idle-instance-memory.ts';
import { outputThroughputMetrics } from './metrics/output-throughput.ts';
import { ensureFleet, sessionCreateRate } from './metrics/session-create-rate.ts';
import { timeToPromptCold } from './metrics/time-to-prompt-cold.ts';
import { timeToPromptWarm } from './metrics/time-to-prompt-warm.ts';
import { workshopJoinBurst } from './metrics/workshop-join-burst.ts';
import { TEST_INSTANCE_IMAGE } from '../test/support/test-stack.ts';
import { startBenchStack, type BenchStack } from './support/bench-stack.ts';
import { FULL, mainInstance, QUICK, waitContainerGone, withConcurrency, type BenchContext } from './support/context.ts';
import { DockerFloor } from './support/docker-floor.ts';
import { machineInfo } from './support/machine.ts';
import { formatTable, notMeasured, writeResults, type Metric } from './support/report.ts';
import { openStackTerminal, waitForOutput } from './support/terminal.ts';

// `npm run bench [-- --quick] [-- --only name,name] [-- --out file] [-- --orchestrators N]`: starts a private
// playground stack, measures each metric beside its floor, prints a table and writes JSON.
// Everything it made is removed at the end, also after a failure or Ctrl-C.

// The stack's agents and the floor run the same image (PLAYGROUND_TEST_IMAGE, else :latest).
const INSTANCE_IMAGE = TEST_INSTANCE_IMAGE;

interface MetricRun {
  name: string;
  unit: string;
  /** Upper bound of the whole metric; a metric past it is reported as not measured. */
  timeoutSeconds: { quick: number; full: number };
  /** Uses the fleet of idle sessions (topped up first if session_create_rate left it short). */
  needsFleet?: boolean;
  run(ctx: BenchContext): Promise<Metric[]>;
}

// Order matters: session_create_rate makes the fleet of idle instances that
// idle_instance_memory and concurrent_terminals use.
const METRICS: MetricRun[] = [
  { name: 'time_to_prompt_cold', unit: 'ms', timeoutSeconds: { quick: 60, full: 180 }, run: timeToPromptCold },
  { name: 'time_to_prompt_warm', unit: 'ms', timeoutSeconds: { quick: 60, full: 300 }, run: timeToPromptWarm },
  { name: 'echo_latency', unit: 'ms', timeoutSeconds: { quick: 30, full: 60 }, run: echoLatency },
  { name: 'output_throughput', unit: 'MiB/s', timeoutSeconds: { quick: 90, full: 600 }, run: outputThroughputMetrics },
  { name: 'workshop_join_burst', unit: 'ms', timeoutSeconds: { quick: 300, full: 900 }, run: workshopJoinBurst },
  { name: 'session_create_rate', unit: 'sessions/s', timeoutSeconds: { quick: 120, full: 300 }, run: sessionCreateRate },
  { name: 'idle_instance_memory', unit: 'MiB', timeoutSeconds: { quick: 60, full: 120 }, needsFleet: true, run: idleInstanceMemory },
  { name: 'concurrent_terminals', unit: 'ms', timeoutSeconds: { quick: 60, full: 180 }, needsFleet: true, run: concurrentTerminals },
];

class MetricTimeoutError extends Error {
  readonly code = 'metric_timeout';
}

/** Idle sessions made (two at a time) before the metrics that need them; ~2 s each on an idle machine. */
const FLEET_TIMEOUT_SECONDS = 300;

/** `work`, or a MetricTimeoutError naming `what` once `seconds` have passed. */
async function within<T>(seconds: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MetricTimeoutError(`${what} took longer than ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' }, orchestrators: { type: 'string', default: '1' } },
    allowPositionals: false,
  });
  const quick = values.quick ?? false;
  const only = values.only ? new Set(values.only.split(',').map((name) => name.trim())) : undefined;
  const outFile = path.resolve(values.out ?? path.join(REPO_ROOT, 'bench', 'results.json'));
  const sizes = quick ? QUICK : FULL;
  const started = performance.now();
  const docker = new Docker();
  const machine = await machineInfo(docker);

  log(`starting a private stack (${quick ? 'quick' : 'full'} run, ${values.orchestrators} orchestrator(s))`);
  // `--orchestrators 2`: the stack runs that many replicas; echo_latency measures through each.
  const orchestrators = Number(values.orchestrators);
  if (!Number.isInteger(orchestrators) || orchestrators < 1 || orchestrators > 8) throw new Error('--orchestrators takes a whole number from 1 to 8');
  const bench: BenchStack = await startBenchStack('bench', {}, orchestrators);
  const floor = new DockerFloor(docker, INSTANCE_IMAGE, `${bench.nodeId}-floor`);
  let interrupted = false;
  const cleanup = once(async () => {
    log('cleaning up');
    await floor.cleanup().catch((error) => log(`floor cleanup: ${(error as Error).message}`));
    await bench.teardown().catch((error) => log(`teardown: ${(error as Error).message}`));
    const left = [...(await bench.stack.leftovers().catch(() => [])), ...(await floor.leftovers().catch(() => []))];
    const managed = await docker.listContainers({ all: true, filters: { label: [`${LABEL.node}=${bench.nodeId}`] } });
    if (left.length || managed.length) log(`LEFT BEHIND: ${left.join(', ')}`);
    else log(`nothing left behind (no container, network or volume of node ${bench.nodeId})`);
  });
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted');
    void cleanup().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const metrics: Metric[] = [];
  try {
    const made = await bench.sessionWithInstance();
    await waitForTerminals(bench, made.session.id, made.instance.id);
    const ctx: BenchContext = {
      quick,
      sizes,
      bench,
      floor,
      docker,
      main: mainInstance(made.session.id, made.instance.id),
      fleet: [],
      log,
    };
    for (const entry of METRICS) {
      if (interrupted) break;
      if (only && !only.has(entry.name)) continue;
      const limit = entry.timeoutSeconds[quick ? 'quick' : 'full'];
      try {
        // Making the fleet is set-up, not measurement: on a loaded machine it may take longer
        // than the metric itself, so it has a bound of its own.
        if (entry.needsFleet) await within(FLEET_TIMEOUT_SECONDS, 'making the fleet', ensureFleet(ctx, sizes.sessions));
        log(`${entry.name}: measuring`);
        const t0 = performance.now();
        metrics.push(...(await within(limit, 'the measurement', entry.run(ctx))));
        log(`${entry.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } catch (error) {
        log(`${entry.name}: FAILED: ${(error as Error).message}`);
        metrics.push(notMeasured(entry.name, entry.unit, `failed: ${(error as Error).message}`));
      }
    }
    // The fleet of idle sessions: end them all at once and wait for their containers.
    await withConcurrency(ctx.fleet, 10, async (member) => {
      await bench.deleteSession(member.sessionId).catch(() => undefined);
      await waitContainerGone(docker, member.containerName).catch(() => undefined);
    });
  } finally {
    await cleanup();
  }
  if (interrupted) return 130;

  const results = { machine, mode: quick ? ('quick' as const) : ('full' as const), durationSeconds: Math.round((performance.now() - started) / 1000), metrics };
  process.stdout.write(`\n${formatTable(results)}\n\n`);
  await writeResults(outFile, results);
  log(`results written to ${path.relative(process.cwd(), outFile)}`);
  return metrics.some((m) => m.note?.startsWith('not measured: failed')) ? 1 : 0;
}

/** The health check sees the agent's heartbeat in Redis; terminals also need its socket to the orchestrator. */
async function waitForTerminals(bench: BenchStack, sessionId: string, instanceId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    const terminal = openStackTerminal(bench.stack.orchestratorUrl, { sessionId, instanceId });
    try {
      await terminal.connectedAfterMs;
      await waitForOutput(terminal, () => true, 10_000, 'first bytes');
      return;
    } catch (error) {
      last = (error as Error).message;
    } finally {
      terminal.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`terminals did not open within ${timeoutMs} ms (${last})`);
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= fn());
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`benchmark failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
