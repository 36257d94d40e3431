import { Redis } from 'ioredis';
import type { BenchContext } from '../support/context.ts';
import { openDirectPty } from '../support/docker-floor.ts';
import { metric, type Metric } from '../support/report.ts';
import { summarize } from '../support/stats.ts';
import { echoLatencies, endsWithPrompt, freshPrompt, openStackTerminal, waitForOutput, type ByteTerminal } from '../support/terminal.ts';

// One keystroke at a time through the whole path (client → orchestrator → agent → PTY →
// back), against the same keystrokes through a docker exec PTY this process opens itself,
// the two taking turns.
// With several orchestrator replicas (`--orchestrators 2`) it measures twice: with the
// terminal's socket on the replica holding the agent's link (the direct path), and on one that
// does not (every keystroke and echo crosses Redis: echo_latency_cross_replica).

const GOAL_P50_MS = 1;
const GOAL_FLOOR_FACTOR = 3;
/**
 * Keystrokes each side types before the measured ones. The orchestrator and agent of a fresh
 * bench stack are slow for the first several hundred keystrokes (V8 has not compiled the relay
 * path yet: p50 falls from ~1.7 to ~1.3 ms over the first 900 here, while the floor stays
 * flat), and a playground that serves learners is long past that.
 */
const WARMUP_KEYS = 1000;

/** Keystrokes per turn when the stack and the floor take turns (see measureEchoAndFloor). */
const TURN_KEYS = 50;

async function warmUp(terminal: ByteTerminal, keystrokes: number): Promise<void> {
  await freshPrompt(terminal);
  await echoLatencies(terminal, Math.min(WARMUP_KEYS, keystrokes));
}

async function measureEcho(terminal: ByteTerminal, keystrokes: number): Promise<number[]> {
  await warmUp(terminal, keystrokes);
  const samples = await echoLatencies(terminal, keystrokes);
  terminal.write('\x15'); // Ctrl-U: leave an empty command line behind
  return samples;
}

/** A stack terminal on the main instance (through `orchestratorUrl`, the first replica by default), at its prompt. */
export async function openMainTerminal(ctx: BenchContext, orchestratorUrl = ctx.bench.stack.orchestratorUrl) {
  const terminal = openStackTerminal(orchestratorUrl, { sessionId: ctx.main.sessionId, instanceId: ctx.main.instanceId });
  await terminal.connectedAfterMs;
  return terminal;
}

/** A direct docker exec PTY on the main instance, at its prompt. */
export async function openMainDirectPty(ctx: BenchContext) {
  const pty = await openDirectPty(ctx.docker, ctx.main.containerName);
  await waitForOutput(pty, endsWithPrompt, 15_000, 'prompt of the direct shell');
  return pty;
}

/**
 * Echo samples on the main instance through the stack and through a direct PTY (the floor),
 * taking turns of TURN_KEYS keystrokes: whatever else the machine is doing meanwhile (the
 * previous metric's teardown, the filesystem's cleaner) weighs on both sides alike, so the
 * ratio compares the two paths and not two moments.
 */
export async function measureEchoAndFloor(ctx: BenchContext, keystrokes: number, orchestratorUrl?: string): Promise<{ stackSamples: number[]; floorSamples: number[] }> {
  const terminal = await openMainTerminal(ctx, orchestratorUrl);
  let pty: ByteTerminal | undefined;
  try {
    pty = await openMainDirectPty(ctx);
    await warmUp(terminal, keystrokes);
    await warmUp(pty, keystrokes);
    const stackSamples: number[] = [];
    const floorSamples: number[] = [];
    while (stackSamples.length < keystrokes) {
      const turn = Math.min(TURN_KEYS, keystrokes - stackSamples.length);
      stackSamples.push(...(await echoLatencies(terminal, turn)));
      floorSamples.push(...(await echoLatencies(pty, turn)));
    }
    terminal.write('\x15'); // Ctrl-U: leave an empty command line behind
    return { stackSamples, floorSamples };
  } finally {
    terminal.close();
    pty?.close();
  }
}

async function measureStackEcho(ctx: BenchContext, keystrokes: number, orchestratorUrl?: string): Promise<number[]> {
  const terminal = await openMainTerminal(ctx, orchestratorUrl);
  try {
    return await measureEcho(terminal, keystrokes);
  } finally {
    terminal.close();
  }
}

/** The replica holding the node's agent link and one that does not (from the link registry in Redis). */
async function replicasByLink(ctx: BenchContext): Promise<{ holder: string; other: string }> {
  const { stack, nodeId } = ctx.bench;
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const holderId = (await redis.hget('playground:agent-links:holders', nodeId))?.split('/')[0];
    const named = await Promise.all(
      stack.orchestrators.map(async (replica) => {
        const response = await fetch(`${replica.url}/api/v1/health`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return { url: replica.url, id: response.headers.get('x-playground-replica') };
      }),
    );
    const holder = named.find((replica) => replica.id === holderId);
    const other = named.find((replica) => replica.id !== holderId);
    if (!holder || !other) throw new Error(`no replica holds node ${nodeId}'s link (${holderId ?? 'none recorded'})`);
    return { holder: holder.url, other: other.url };
  } finally {
    redis.disconnect();
  }
}

function echoMetric(name: string, stackSamples: number[], floorSamples: number[], where: string): Metric {
  const stack = summarize(stackSamples);
  const floor = summarize(floorSamples);
  return metric({
    name,
    unit: 'ms',
    value: stack.p50,
    baseline: floor.p50,
    p50: stack.p50,
    p99: stack.p99,
    goal: `p50 < ${GOAL_P50_MS} ms, ≤ ${GOAL_FLOOR_FACTOR}× floor`,
    met: stack.p50 < GOAL_P50_MS && stack.p50 <= GOAL_FLOOR_FACTOR * floor.p50,
    note: `${where}${stack.count} keystrokes each way; floor p99 ${floor.p99.toFixed(3)} ms; stack max ${stack.max.toFixed(2)} ms`,
  });
}

export async function echoLatency(ctx: BenchContext): Promise<Metric[]> {
  const keystrokes = ctx.sizes.keystrokes;
  if (ctx.bench.stack.orchestrators.length === 1) {
    const { stackSamples, floorSamples } = await measureEchoAndFloor(ctx, keystrokes);
    return [echoMetric('echo_latency', stackSamples, floorSamples, '')];
  }
  const replicas = await replicasByLink(ctx);
  const { stackSamples, floorSamples } = await measureEchoAndFloor(ctx, keystrokes, replicas.holder);
  const crossSamples = await measureStackEcho(ctx, keystrokes, replicas.other);
  const count = ctx.bench.stack.orchestrators.length;
  return [
    echoMetric('echo_latency', stackSamples, floorSamples, `${count} orchestrators, terminal on the agent link's replica; `),
    echoMetric('echo_latency_cross_replica', crossSamples, floorSamples, `${count} orchestrators, terminal on another replica than the agent link; `),
  ];
}
