import type { BenchContext } from '../support/context.ts';
import { openDirectPty } from '../support/docker-floor.ts';
import { metric, type Metric } from '../support/report.ts';
import { summarize } from '../support/stats.ts';
import { echoLatencies, endsWithPrompt, freshPrompt, openStackTerminal, waitForOutput, type ByteTerminal } from '../support/terminal.ts';

// One keystroke at a time through the whole path (client → orchestrator → agent → PTY →
// back), against the same keystrokes through a docker exec PTY this process opens itself.

const GOAL_P50_MS = 1;
const GOAL_FLOOR_FACTOR = 3;
const WARMUP_KEYS = 20;

async function measureEcho(terminal: ByteTerminal, keystrokes: number): Promise<number[]> {
  await freshPrompt(terminal);
  await echoLatencies(terminal, WARMUP_KEYS);
  const samples = await echoLatencies(terminal, keystrokes);
  terminal.write('\x15'); // Ctrl-U: leave an empty command line behind
  return samples;
}

/** A stack terminal on the main instance, at its prompt. */
export async function openMainTerminal(ctx: BenchContext) {
  const terminal = openStackTerminal(ctx.bench.stack.orchestratorUrl, { sessionId: ctx.main.sessionId, instanceId: ctx.main.instanceId });
  await terminal.connectedAfterMs;
  return terminal;
}

/** A direct docker exec PTY on the main instance, at its prompt. */
export async function openMainDirectPty(ctx: BenchContext) {
  const pty = await openDirectPty(ctx.docker, ctx.main.containerName);
  await waitForOutput(pty, endsWithPrompt, 15_000, 'prompt of the direct shell');
  return pty;
}

/** Echo samples on the main instance through the stack, then through a direct PTY (the floor); each is closed after. */
export async function measureEchoAndFloor(ctx: BenchContext, keystrokes: number): Promise<{ stackSamples: number[]; floorSamples: number[] }> {
  const terminal = await openMainTerminal(ctx);
  let stackSamples: number[];
  try {
    stackSamples = await measureEcho(terminal, keystrokes);
  } finally {
    terminal.close();
  }
  const pty = await openMainDirectPty(ctx);
  let floorSamples: number[];
  try {
    floorSamples = await measureEcho(pty, keystrokes);
  } finally {
    pty.close();
  }
  return { stackSamples, floorSamples };
}

export async function echoLatency(ctx: BenchContext): Promise<Metric[]> {
  const { stackSamples, floorSamples } = await measureEchoAndFloor(ctx, ctx.sizes.keystrokes);
  const stack = summarize(stackSamples);
  const floor = summarize(floorSamples);
  return [
    metric({
      name: 'echo_latency',
      unit: 'ms',
      value: stack.p50,
      baseline: floor.p50,
      p50: stack.p50,
      p99: stack.p99,
      goal: `p50 < ${GOAL_P50_MS} ms, ≤ ${GOAL_FLOOR_FACTOR}× floor`,
      met: stack.p50 < GOAL_P50_MS && stack.p50 <= GOAL_FLOOR_FACTOR * floor.p50,
      note: `${stack.count} keystrokes each way; floor p99 ${floor.p99.toFixed(3)} ms; stack max ${stack.max.toFixed(2)} ms`,
    }),
  ];
}
