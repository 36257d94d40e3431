import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { instanceContainerName } from '@playground/contracts';
import { REPO_ROOT } from '../../infra/launcher/stack.ts';
import { startBenchStack } from '../support/bench-stack.ts';
import { agentCreateMs, waitContainerGone, type BenchContext } from '../support/context.ts';
import { openDirectPty } from '../support/docker-floor.ts';
import { metric, notMeasured, type Metric } from '../support/report.ts';
import { round, summarize } from '../support/stats.ts';
import { endsWithPrompt, openStackTerminal, waitForOutput } from '../support/terminal.ts';

// The same path as time_to_prompt_cold, with instances taken from the agent's warm pool
// (WARM_POOL_SIZE). Floor: a `docker exec` shell into an instance that already runs, until
// its first output byte. Measured on a second private stack started with the pool enabled,
// so the cold metric never sees a pooled instance.

const GOAL_MS = 300;
const POOL_SIZE = 2;

/** Whether the node agent knows WARM_POOL_SIZE (its config is the one place that reads the environment). */
async function agentHasWarmPool(): Promise<boolean> {
  const config = await readFile(path.join(REPO_ROOT, 'apps/node-agent/src/config.ts'), 'utf8');
  return config.includes('WARM_POOL_SIZE');
}

async function readyEvents(logFile: string): Promise<number> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.includes('"pool.member_ready"')).length;
}

/**
 * Waits until `count` pool members have become ready since the agent started (its log says
 * so: `pool.member_ready`); with one member claimed per iteration, POOL_SIZE + claimed means
 * the pool is full again.
 */
async function waitForPool(logFile: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await readyEvents(logFile)) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the warm pool did not have ${count} members ready within ${timeoutMs} ms`);
}

export async function timeToPromptWarm(ctx: BenchContext): Promise<Metric[]> {
  const floorSamples: number[] = [];
  for (let i = 0; i < ctx.sizes.warmIterations; i++) {
    const pty = await openDirectPty(ctx.docker, ctx.main.containerName);
    try {
      floorSamples.push(await Promise.race([pty.firstByteMs, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no output from docker exec within 10 s')), 10_000))]));
    } finally {
      pty.close();
    }
  }
  const floor = summarize(floorSamples);
  const goal = `p50 < ${GOAL_MS} ms`;

  if (!(await agentHasWarmPool())) {
    return [
      notMeasured('time_to_prompt_warm', 'ms', 'warm pool not implemented (the node agent has no WARM_POOL_SIZE)', {
        baseline: round(floor.p50),
        goal,
        note: `not measured: warm pool not implemented (the node agent has no WARM_POOL_SIZE); floor = docker exec into a running instance → first byte, n=${floorSamples.length}`,
      })];
  }

  ctx.log('warm: starting a second stack with WARM_POOL_SIZE');
  const bench = await startBenchStack('bench-warm', { WARM_POOL_SIZE: String(POOL_SIZE) });
  const samples: number[] = [];
  const agentSamples: number[] = [];
  const agentLog = bench.stack.processes.get(`agent:${bench.nodeId}`)!.logFile;
  try {
    for (let i = 0; i < ctx.sizes.warmIterations; i++) {
      await waitForPool(agentLog, POOL_SIZE + i, 120_000);
      const session = await bench.createSession();
      const started = performance.now();
      const instance = await bench.createInstance(session.id);
      const terminal = openStackTerminal(bench.stack.orchestratorUrl, { sessionId: session.id, instanceId: instance.id });
      try {
        samples.push((await waitForOutput(terminal, endsWithPrompt, 30_000, 'first prompt', started)).ms);
        const agentMs = await agentCreateMs(agentLog, instance.id);
        if (agentMs !== null) agentSamples.push(agentMs);
      } finally {
        terminal.close();
        await bench.deleteSession(session.id);
        await waitContainerGone(ctx.docker, instanceContainerName(instance.id)).catch(() => undefined);
      }
      ctx.log(`warm ${i + 1}/${ctx.sizes.warmIterations}: ${samples.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await bench.stack.teardown();
  }
  const warm = summarize(samples);
  return [
    metric({
      name: 'time_to_prompt_warm',
      unit: 'ms',
      value: warm.p50,
      baseline: floor.p50,
      p50: warm.p50,
      p99: warm.p99,
      goal,
      met: warm.p50 < GOAL_MS,
      note: `pool of ${POOL_SIZE} on a second stack; agent's claim p50 ${agentSamples.length ? summarize(agentSamples).p50.toFixed(0) : '?'} ms of it; floor = docker exec into a running instance → first byte; n=${samples.length}`,
    }),
  ];
}
