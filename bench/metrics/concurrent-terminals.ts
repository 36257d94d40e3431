import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../support/context.ts';
import { metric, type Metric } from '../support/report.ts';
import { MIB, summarize } from '../support/stats.ts';
import { freshPrompt, openViewers, waitQuiet, type StackTerminal } from '../support/terminal.ts';
import { measureEchoAndFloor } from './echo-latency.ts';

// Echo latency of one active terminal while many others are connected and some of them
// stream output, as in a workshop where a few learners run builds. Floor: the same
// keystrokes through a direct docker exec PTY on the same instance under the same load.

/** Each streaming shell prints ~100 KB/s (base64 of 7,500 random bytes every 0.1 s), for at most this long. */
const STREAM_MAX_SECONDS = 180;

export async function concurrentTerminals(ctx: BenchContext): Promise<Metric[]> {
  const { otherTerminals, streamingTerminals, keystrokes } = ctx.sizes;
  if (ctx.fleet.length < streamingTerminals + 1) throw new Error(`needs ${streamingTerminals + 1} fleet instances, has ${ctx.fleet.length}`);
  const url = ctx.bench.stack.orchestratorUrl;
  const streamInstances = ctx.fleet.slice(0, streamingTerminals);
  const idleInstances = ctx.fleet.slice(streamingTerminals);
  const idleTargets = Array.from({ length: otherTerminals - streamingTerminals }, (_, index) => idleInstances[index % idleInstances.length]!);

  const opened: StackTerminal[] = [];
  let streamed = 0;
  try {
    const streamers = await openViewers(url, streamInstances);
    opened.push(...streamers);
    opened.push(...(await openViewers(url, idleTargets)));
    ctx.log(`concurrent: ${opened.length} terminals open`);
    await Promise.all(streamers.map((terminal) => freshPrompt(terminal)));
    for (const terminal of streamers) {
      terminal.onData((chunk) => (streamed += chunk.length));
      terminal.write(`for i in $(seq 1 ${STREAM_MAX_SECONDS * 10}); do head -c 7500 /dev/urandom | base64; sleep 0.1; done\r`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const windowStart = performance.now();
    const streamedAtStart = streamed;
    const { stackSamples, floorSamples } = await measureEchoAndFloor(ctx, keystrokes);
    const streamRate = (streamed - streamedAtStart) / MIB / ((performance.now() - windowStart) / 1000);

    for (const streamer of streamers) streamer.write('\x03');
    await Promise.all(streamers.map((streamer) => waitQuiet(streamer, 300, 10_000)));

    const stack = summarize(stackSamples);
    const floor = summarize(floorSamples);
    return [
      metric({
        name: 'concurrent_terminals',
        unit: 'ms',
        value: stack.p99,
        baseline: floor.p99,
        p50: stack.p50,
        p99: stack.p99,
        note: `echo p99 of 1 terminal beside ${opened.length} others (${streamingTerminals} streaming, together ${streamRate.toFixed(2)} MiB/s); ${stack.count} keystrokes; floor = direct docker exec PTY under the same load (p50 ${floor.p50.toFixed(3)} ms)`,
      }),
    ];
  } finally {
    for (const terminal of opened) terminal.close();
  }
}
