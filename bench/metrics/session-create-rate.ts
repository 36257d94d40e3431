import { performance } from 'node:perf_hooks';
import { mainInstance, withConcurrency, type BenchContext, type FleetMember } from '../support/context.ts';
import type { FloorRun } from '../support/docker-floor.ts';
import { metric, type Metric } from '../support/report.ts';
import { summarize } from '../support/stats.ts';

// Sessions with one running instance each, made by N concurrent clients (REST: create
// session, create instance; done when the instance is running). Floor: the same number of
// instance containers started directly with the same concurrency, each until its inner
// engine answers (on one shared network: see DockerFloor.sharedNetwork). The floor runs first and is removed before the stack's turn; the stack's
// sessions stay up as the fleet of idle instances that later metrics use (run.ts ends them).

const MAX_ATTEMPTS = 3;

export async function sessionCreateRate(ctx: BenchContext): Promise<Metric[]> {
  const { sessions: total, sessionConcurrency: concurrency } = ctx.sizes;
  const slots = Array.from({ length: total }, (_, index) => index);

  const floorRuns: FloorRun[] = [];
  const floorStarted = performance.now();
  let floorLastReady = floorStarted;
  try {
    await withConcurrency(slots, concurrency, async () => {
      floorRuns.push(await ctx.floor.runInstance({ readyTimeoutMs: 120_000, sharedNetwork: true }));
      floorLastReady = Math.max(floorLastReady, performance.now());
    });
  } finally {
    await Promise.all(floorRuns.map((run) => ctx.floor.remove(run)));
  }
  // The clock stops when the last engine answered, not after the removal.
  const floorWall = floorLastReady - floorStarted;
  const floorSpan = performance.now() - floorStarted;
  const floorLatency = summarize(floorRuns.map((run) => run.totalMs));
  ctx.log(`sessions: floor ${total} instances, last ready after ${floorWall.toFixed(0)} ms`);

  const latencies: number[] = [];
  const started = performance.now();
  let lastReady = started;
  let failedAttempts = 0;
  let gaveUp = 0;
  let firstFailure = '';
  await withConcurrency(slots, concurrency, async () => {
    // A refused request is retried (bounded) as a client would; failures are reported, and
    // a slot that still fails is counted and left out (the fleet is topped up afterwards).
    const begin = performance.now();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const made = await ctx.bench.sessionWithInstance();
        latencies.push(performance.now() - begin);
        lastReady = Math.max(lastReady, performance.now());
        ctx.fleet.push({ ...mainInstance(made.session.id, made.instance.id), readyAt: performance.now() });
        return;
      } catch (error) {
        failedAttempts++;
        firstFailure ||= (error as Error).message.slice(0, 200);
        if (attempt < MAX_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 300 * attempt * (0.5 + Math.random())));
      }
    }
    gaveUp++;
  });
  const wall = lastReady - started;
  ctx.log(`sessions: stack ${latencies.length}/${total} sessions in ${wall.toFixed(0)} ms, ${failedAttempts} failed attempts`);
  if (latencies.length === 0) throw new Error(`no session could be created (${failedAttempts} attempts failed; first: ${firstFailure})`);
  const latency = summarize(latencies);

  const floorRate = total / (floorWall / 1000);
  const rate = latencies.length / (wall / 1000);
  const failures = failedAttempts
    ? `; ${failedAttempts} attempts failed${gaveUp ? `, ${gaveUp} sessions given up after ${MAX_ATTEMPTS}` : ''} (first: ${firstFailure})`
    : '';
  return [
    metric({
      name: 'session_create_rate',
      unit: 'sessions/s',
      value: rate,
      baseline: floorRate,
      p50: null,
      p99: null,
      goal: 'no failed request',
      met: failedAttempts === 0,
      note: `${latencies.length} of ${total} sessions (1 instance each) by ${concurrency} concurrent clients in ${(wall / 1000).toFixed(1)} s${failures}; floor: ${total} direct containers in ${(floorWall / 1000).toFixed(1)} s (+${((floorSpan - floorWall) / 1000).toFixed(1)} s removal)`,
    }),
    metric({
      name: 'session_create_latency',
      unit: 'ms',
      value: latency.p99,
      baseline: floorLatency.p99,
      p50: latency.p50,
      p99: latency.p99,
      note: `per session, retries included, under the same load (value = p99); floor p50 ${floorLatency.p50.toFixed(0)} ms`,
    }),
  ];
}

/**
 * Makes sure the fleet has `size` idle sessions for the metrics that use it, creating the
 * missing ones a few at a time (used when session_create_rate left some out).
 */
export async function ensureFleet(ctx: BenchContext, size: number): Promise<void> {
  const missing = size - ctx.fleet.length;
  if (missing <= 0) return;
  ctx.log(`fleet: creating ${missing} more idle sessions, 2 at a time`);
  await withConcurrency(Array.from({ length: missing }), 2, async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const made = await ctx.bench.sessionWithInstance();
        ctx.fleet.push({ ...mainInstance(made.session.id, made.instance.id), readyAt: performance.now() });
        return;
      } catch (error) {
        if (attempt === 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  });
}
