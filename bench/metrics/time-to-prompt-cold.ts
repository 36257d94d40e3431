import { performance } from 'node:perf_hooks';
import { instanceContainerName } from '@playground/contracts';
import { waitContainerGone, type BenchContext } from '../support/context.ts';
import { metric, type Metric } from '../support/report.ts';
import { summarize } from '../support/stats.ts';
import { endsWithPrompt, openStackTerminal, waitForOutput } from '../support/terminal.ts';

// API call that creates an instance → its first prompt at a `/terminal` client. Floor: the
// same container started directly (network, volume, create, start) until its inner engine
// answers `docker exec … docker version`. Stack and floor iterations alternate, so drift in
// the machine's load hits both alike.

const GOAL_MS = 1500;
/** An instance the agent makes in ~1 s; a request still open after this counts as failed. */
const ITERATION_TIMEOUT_MS = 30_000;

export async function timeToPromptCold(ctx: BenchContext): Promise<Metric[]> {
  const { bench, floor, docker } = ctx;
  const stack: Array<{ total: number; api: number; agent: number | null; connect: number; firstByte: number }> = [];
  const floors: Array<{ total: number; create: number; start: number; engine: number }> = [];

  const failures: string[] = [];
  for (let i = 0; i < ctx.sizes.coldIterations; i++) {
    // A new session each time: its network is made on the timed path, as for a new learner.
    const session = await bench.createSession();
    let instanceId: string | undefined;
    let terminal: ReturnType<typeof openStackTerminal> | undefined;
    try {
      const started = performance.now();
      const instance = await bench.createInstance(session.id, ITERATION_TIMEOUT_MS);
      instanceId = instance.id;
      const apiMs = performance.now() - started;
      terminal = openStackTerminal(bench.stack.orchestratorUrl, { sessionId: session.id, instanceId: instance.id });
      const prompt = await waitForOutput(terminal, endsWithPrompt, 30_000, 'first prompt', started);
      stack.push({
        total: prompt.ms,
        api: apiMs,
        agent: await bench.agent.createJobMs(instance.id),
        connect: await terminal.connectedAfterMs,
        firstByte: prompt.firstByteMs,
      });
      ctx.log(`cold ${i + 1}/${ctx.sizes.coldIterations}: stack ${prompt.ms.toFixed(0)} ms`);
    } catch (error) {
      // One stuck start is a finding, not a reason to lose the other samples.
      failures.push((error as Error).message.slice(0, 200));
      ctx.log(`cold ${i + 1}/${ctx.sizes.coldIterations}: stack FAILED: ${failures.at(-1)}`);
    } finally {
      terminal?.close();
      await bench.deleteSession(session.id).catch(() => undefined);
      if (instanceId) await waitContainerGone(docker, instanceContainerName(instanceId)).catch(() => undefined);
    }

    const run = await floor.runInstance();
    floors.push({ total: run.totalMs, create: run.createMs, start: run.startMs, engine: run.engineMs });
    await floor.remove(run);
    ctx.log(`cold ${i + 1}/${ctx.sizes.coldIterations}: floor ${run.totalMs.toFixed(0)} ms`);
  }
  if (stack.length === 0) throw new Error(`every cold start failed: ${failures[0]}`);

  const total = summarize(stack.map((s) => s.total));
  const floorTotal = summarize(floors.map((f) => f.total));
  const p50 = (values: Array<number | null>) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? summarize(known).p50.toFixed(0) : '?';
  };
  const note =
    `p50 breakdown — API call ${p50(stack.map((s) => s.api))} ms (agent provisioning ${p50(stack.map((s) => s.agent))} ms of it, ` +
    `the rest queue + database), socket connect ${p50(stack.map((s) => s.connect))} ms, first byte at ${p50(stack.map((s) => s.firstByte))} ms; ` +
    `floor: network+volume+create ${p50(floors.map((f) => f.create))} ms, start ${p50(floors.map((f) => f.start))} ms, engine answering ${p50(floors.map((f) => f.engine))} ms; n=${stack.length}` +
    (failures.length ? `; ${failures.length} FAILED (first: ${failures[0]})` : '');
  return [
    metric({
      name: 'time_to_prompt_cold',
      unit: 'ms',
      value: total.p50,
      baseline: floorTotal.p50,
      p50: total.p50,
      p99: total.p99,
      goal: `p50 < ${GOAL_MS} ms`,
      met: total.p50 < GOAL_MS && failures.length === 0,
      note,
    }),
  ];
}
