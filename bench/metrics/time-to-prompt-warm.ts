import { performance } from 'node:perf_hooks';
import { instanceContainerName } from '@playground/contracts';
import { startBenchStack } from '../support/bench-stack.ts';
import { waitContainerGone, type BenchContext } from '../support/context.ts';
import { openDirectPty } from '../support/docker-floor.ts';
import { metric, type Metric } from '../support/report.ts';
import { summarize } from '../support/stats.ts';
import { endsWithPrompt, openStackTerminal, waitForOutput } from '../support/terminal.ts';

// The same path as time_to_prompt_cold, with instances taken from the agent's warm pool
// (WARM_POOL_SIZE). Floor: a `docker exec` shell into an instance that already runs, until
// its first output byte. Measured on a second private stack started with the pool enabled,
// so the cold metric never sees a pooled instance.

const GOAL_MS = 300;
const POOL_SIZE = 2;
/** The agent's heartbeat (which says how many members are ready) comes this often on the warm stack. */
const HEARTBEAT_MS = 500;

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

  ctx.log('warm: starting a second stack with WARM_POOL_SIZE');
  const bench = await startBenchStack('bench-warm', { WARM_POOL_SIZE: String(POOL_SIZE), HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
  const samples: number[] = [];
  const agentSamples: number[] = [];
  try {
    // Wall-clock time (the heartbeat's `at` is the agent's clock, the same machine's).
    let lastClaimAt = 0;
    for (let i = 0; i < ctx.sizes.warmIterations; i++) {
      // A heartbeat made after the previous claim, with the pool full again.
      await bench.agent.waitForAnnouncement(
        `a full warm pool (${POOL_SIZE} ready)`,
        (a) => (a.usage.warm ?? 0) >= POOL_SIZE && a.at !== undefined && Date.parse(a.at) > lastClaimAt,
        120_000,
      );
      const session = await bench.createSession();
      const started = performance.now();
      const instance = await bench.createInstance(session.id);
      lastClaimAt = Date.now();
      const terminal = openStackTerminal(bench.stack.orchestratorUrl, { sessionId: session.id, instanceId: instance.id });
      try {
        samples.push((await waitForOutput(terminal, endsWithPrompt, 30_000, 'first prompt', started)).ms);
        const agentMs = await bench.agent.createJobMs(instance.id);
        if (agentMs !== null) agentSamples.push(agentMs);
      } finally {
        terminal.close();
        await bench.deleteSession(session.id);
        await waitContainerGone(ctx.docker, instanceContainerName(instance.id)).catch(() => undefined);
      }
      ctx.log(`warm ${i + 1}/${ctx.sizes.warmIterations}: ${samples.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await bench.teardown();
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
