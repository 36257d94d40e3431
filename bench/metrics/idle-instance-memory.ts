import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../support/context.ts';
import { containerMemoryMiB, type FloorRun } from '../support/docker-floor.ts';
import { metric, type Metric } from '../support/report.ts';
import { steadyRssMiB } from '../support/rss.ts';
import { summarize } from '../support/stats.ts';
import { openViewers } from '../support/terminal.ts';

// Memory an idle instance holds on the node (its container's cgroup, minus inactive page
// cache, as `docker stats` counts it), against a container started directly with the same
// flags and left alone as long. Then what one idle terminal connection costs the
// orchestrator and the agent: RSS before and after opening N viewers on shells that already
// run, divided by N.

const GOAL_MIB = 50;
const ROUNDS = 3;

async function settle(readyAt: number, seconds: number): Promise<void> {
  const wait = readyAt + seconds * 1000 - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

export async function idleInstanceMemory(ctx: BenchContext): Promise<Metric[]> {
  const { fleet, sizes } = ctx;
  if (fleet.length === 0) throw new Error('no idle instances: session_create_rate made none');

  // Floor containers first, so that they age while the fleet is measured.
  const floorRuns: FloorRun[] = await Promise.all(Array.from({ length: sizes.idleFloorInstances }, () => ctx.floor.runInstance({ readyTimeoutMs: 120_000, sharedNetwork: true })));
  const floorReadyAt = performance.now();
  let floorValues: number[];
  let stackValues: number[];
  try {
    await settle(Math.max(...fleet.map((member) => member.readyAt)), sizes.idleSettleSeconds);
    stackValues = [];
    for (const member of fleet) stackValues.push(await containerMemoryMiB(ctx.docker, (await ctx.docker.getContainer(member.containerName).inspect()).Id));
    await settle(floorReadyAt, sizes.idleSettleSeconds);
    floorValues = await Promise.all(floorRuns.map((run) => containerMemoryMiB(ctx.docker, run.container.id)));
  } finally {
    await Promise.all(floorRuns.map((run) => ctx.floor.remove(run)));
  }
  const stack = summarize(stackValues);
  const floor = summarize(floorValues);
  const connections = await idleConnectionMemory(ctx);

  return [
    metric({
      name: 'idle_instance_memory',
      unit: 'MiB',
      value: stack.p50,
      baseline: floor.p50,
      p50: stack.p50,
      p99: stack.p99,
      goal: `< ${GOAL_MIB} MiB`,
      met: stack.p50 < GOAL_MIB,
      note: `cgroup memory (usage − inactive file) of ${stack.count} idle instances ≥ ${sizes.idleSettleSeconds} s after ready; floor: ${floor.count} direct containers`,
    }),
    ...connections,
  ];
}

async function idleConnectionMemory(ctx: BenchContext): Promise<Metric[]> {
  const n = ctx.sizes.idleConnections;
  const instances = ctx.fleet.slice(0, Math.min(10, ctx.fleet.length));
  const url = ctx.bench.stack.orchestratorUrl;
  // One viewer per instance first: its shell starts and stays after the viewer leaves, so
  // the measured delta holds connections only, not shells.
  for (const terminal of await openViewers(url, instances)) terminal.close();
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  // RSS moves with garbage collection by more than 100 small sockets weigh, so the delta
  // (all open − all closed, measured back to back) is taken over a few rounds; the median counts.
  const { orchestrator, agent } = ctx.bench.pids;
  const targets = Array.from({ length: n }, (_, index) => instances[index % instances.length]!);
  const deltas = { orchestrator: [] as number[], agent: [] as number[] };
  const first = { orchestrator: await steadyRssMiB(orchestrator, 9), agent: await steadyRssMiB(agent, 9) };
  let last = first;
  for (let round = 0; round < ROUNDS; round++) {
    const closed = { orchestrator: await steadyRssMiB(orchestrator, 9), agent: await steadyRssMiB(agent, 9) };
    const viewers = await openViewers(url, targets);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      last = { orchestrator: await steadyRssMiB(orchestrator, 9), agent: await steadyRssMiB(agent, 9) };
    } finally {
      for (const viewer of viewers) viewer.close();
    }
    for (const proc of ['orchestrator', 'agent'] as const) {
      const before = closed[proc];
      const after = last[proc];
      if (before !== null && after !== null) deltas[proc].push((after - before) / n);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const row = (name: string, proc: 'orchestrator' | 'agent') => {
    const values = deltas[proc];
    const perConnection = values.length ? summarize(values).p50 : null;
    return metric({
      name,
      unit: 'MiB',
      value: perConnection,
      baseline: null,
      p50: null,
      p99: null,
      note:
        `median over ${values.length} rounds of (RSS with ${n} idle viewers − RSS without) ÷ ${n}, viewers on ${instances.length} running shells ` +
        `(${perConnection === null ? '?' : (perConnection * 1024).toFixed(1)} KiB each; rounds ${values.map((v) => (v * 1024).toFixed(0)).join(', ')} KiB; ` +
        `RSS of the ${proc} ${first[proc]?.toFixed(1)} → ${last[proc]?.toFixed(1)} MiB)`,
    });
  };
  return [row('idle_connection_memory_orchestrator', 'orchestrator'), row('idle_connection_memory_agent', 'agent')];
}
