import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../support/context.ts';
import { metric, type Metric } from '../support/report.ts';
import { RssSampler } from '../support/rss.ts';
import { MIB, mibPerSecond } from '../support/stats.ts';
import { endsWithPrompt, freshPrompt, outputThroughput, waitForOutput, waitQuiet } from '../support/terminal.ts';
import { openMainDirectPty, openMainTerminal } from './echo-latency.ts';

// Bulk terminal output (base64 of random bytes) delivered to a client, against the same
// command in a docker exec PTY read directly; peak RSS of the orchestrator and the agent
// while it flows. Then a client that reads slowly (its websocket's TCP socket paused most of
// the time) while the shell produces without end: memory must stay flat, because the agent
// pauses the shell when a viewer falls behind instead of buffering.

const GOAL_FRACTION = 0.9;
/** Growth of RSS during the slow read that still counts as bounded. */
const BOUNDED_GROWTH_MIB = 64;
/** How fast the slow client reads; the shell produces ~20× more. */
const SLOW_READ_BYTES_PER_SEC = 1024 * 1024;

function pids(ctx: BenchContext): Record<string, number> {
  return { orchestrator: ctx.bench.pids.orchestrator, agent: ctx.bench.pids.agent };
}

export async function outputThroughputMetrics(ctx: BenchContext): Promise<Metric[]> {
  const inputBytes = ctx.sizes.outputInputBytes;
  const timeoutMs = ctx.quick ? 90_000 : 300_000;

  const terminal = await openMainTerminal(ctx);
  const sampler = new RssSampler(pids(ctx));
  let stackRun: { bytes: number; ms: number };
  let rss: Awaited<ReturnType<RssSampler['stop']>>;
  try {
    await freshPrompt(terminal);
    await sampler.start();
    stackRun = await outputThroughput(terminal, inputBytes, timeoutMs);
  } finally {
    rss = await sampler.stop();
    terminal.close();
  }
  ctx.log(`throughput: stack ${(stackRun.bytes / MIB).toFixed(0)} MiB in ${stackRun.ms.toFixed(0)} ms`);

  const pty = await openMainDirectPty(ctx);
  let floorRun: { bytes: number; ms: number };
  try {
    floorRun = await outputThroughput(pty, inputBytes, timeoutMs);
  } finally {
    pty.close();
  }
  ctx.log(`throughput: floor ${(floorRun.bytes / MIB).toFixed(0)} MiB in ${floorRun.ms.toFixed(0)} ms`);

  const stackRate = mibPerSecond(stackRun.bytes, stackRun.ms);
  const floorRate = mibPerSecond(floorRun.bytes, floorRun.ms);
  const slow = await slowReader(ctx);

  const rssRow = (name: string, proc: string, sample: { startMiB: number | null; peakMiB: number | null }, goal?: string, met?: boolean | null, note?: string) =>
    metric({ name, unit: 'MiB', value: sample.peakMiB, baseline: sample.startMiB, p50: null, p99: null, goal, met, note: note ?? `peak RSS of the ${proc}; floor = its RSS before` });

  const bounded = (s: { startMiB: number | null; peakMiB: number | null }) =>
    s.peakMiB !== null && s.startMiB !== null ? s.peakMiB - s.startMiB < BOUNDED_GROWTH_MIB : null;

  return [
    metric({
      name: 'output_throughput',
      unit: 'MiB/s',
      value: stackRate,
      baseline: floorRate,
      p50: null,
      p99: null,
      goal: `≥ ${GOAL_FRACTION * 100}% of floor`,
      met: stackRate >= GOAL_FRACTION * floorRate,
      note: `${(stackRun.bytes / MIB).toFixed(0)} MiB of terminal output (base64 of ${(inputBytes / MIB).toFixed(0)} MiB random); stack ${(stackRun.ms / 1000).toFixed(1)} s, floor ${(floorRun.ms / 1000).toFixed(1)} s`,
    }),
    rssRow('output_peak_rss_orchestrator', 'orchestrator', rss.orchestrator!),
    rssRow('output_peak_rss_agent', 'agent', rss.agent!),
    rssRow(
      'slow_reader_peak_rss_orchestrator',
      'orchestrator',
      slow.rss.orchestrator!,
      `growth < ${BOUNDED_GROWTH_MIB} MiB`,
      bounded(slow.rss.orchestrator!),
      `peak RSS of the orchestrator while a client read ${slow.mib.toFixed(1)} MiB in ${slow.seconds} s from an endless producer; floor = its RSS before`,
    ),
    rssRow('slow_reader_peak_rss_agent', 'agent', slow.rss.agent!, `growth < ${BOUNDED_GROWTH_MIB} MiB`, bounded(slow.rss.agent!), 'peak RSS of the agent during the same slow read; floor = its RSS before'),
  ];
}

async function slowReader(ctx: BenchContext) {
  const terminal = await openMainTerminal(ctx);
  const sampler = new RssSampler(pids(ctx));
  let received = 0;
  const off = terminal.onData((chunk) => (received += chunk.length));
  const seconds = ctx.sizes.slowReaderSeconds;
  try {
    await freshPrompt(terminal);
    await sampler.start();
    received = 0;
    // Far more than can be read in `seconds`; interrupted below.
    terminal.write('head -c 4G /dev/urandom | base64\r');
    // Read at SLOW_READ_BYTES_PER_SEC: the socket is paused whenever the client is ahead of
    // that budget (checked every 20 ms), as a browser tab on a slow link would.
    const begin = performance.now();
    const until = begin + seconds * 1000;
    while (performance.now() < until) {
      const budget = ((performance.now() - begin) / 1000) * SLOW_READ_BYTES_PER_SEC;
      if (received > budget) terminal.pauseReading();
      else terminal.resumeReading();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const rss = await sampler.stop();
    const mib = received / MIB;
    ctx.log(`slow reader: ${mib.toFixed(1)} MiB read in ${seconds} s`);
    // Stop the producer and let what is in flight drain.
    terminal.resumeReading();
    terminal.write('\x03');
    await waitForOutput(terminal, endsWithPrompt, 20_000, 'prompt after Ctrl-C').catch(() => ctx.log('slow reader: no prompt after Ctrl-C'));
    await waitQuiet(terminal, 300, 10_000);
    return { rss, mib, seconds };
  } finally {
    off();
    terminal.resumeReading();
    terminal.close();
  }
}
