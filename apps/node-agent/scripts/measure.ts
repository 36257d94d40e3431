// Measures the agent's hot paths against the real engine and instance image:
//   instance create→ready (median of N), terminal attach→first prompt byte,
//   keystroke echo latency through the terminal manager (p50/p95),
//   readiness probe cost (/proc ping vs `docker version` exec).
// Run: node --import tsx apps/node-agent/scripts/measure.ts   (as root, Docker + image present)
import { newInstanceId, newSessionId } from '@playground/contracts';
import { engineAnswers } from '../src/instances/engine-readiness.ts';
import { TerminalManager } from '../src/terminals/terminal-manager.ts';
import { removeNodeResources, requireDocker, testLogger, testProvisioner, testShellFactory, uniqueNodeId } from '../test/support.ts';
import { instanceContainerName } from '@playground/contracts';

const RUNS = Number(process.env.RUNS ?? 5);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const median = (xs: number[]) => pct(xs, 50);

const docker = await requireDocker();
const nodeId = uniqueNodeId();
const limits = { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 1000 };
try {
  for (const probe of ['auto', 'exec'] as const) {
    const provisioner = testProvisioner(docker, nodeId, { readinessProbe: probe });
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const sessionId = newSessionId();
      const t0 = performance.now();
      await provisioner.createInstance({ sessionId, instanceId: newInstanceId(), hostname: `node${i + 1}`, limits });
      times.push(performance.now() - t0);
      await provisioner.closeSession(sessionId);
    }
    console.log(`create→ready (probe=${probe}): median ${median(times).toFixed(0)} ms over ${RUNS}: ${times.map((t) => t.toFixed(0)).join(', ')}`);
  }

  const provisioner = testProvisioner(docker, nodeId);
  const sessionId = newSessionId();
  const instanceId = newInstanceId();
  await provisioner.createInstance({ sessionId, instanceId, hostname: 'node1', limits });

  const container = docker.getContainer(instanceContainerName(instanceId));
  const pid = (await container.inspect()).State.Pid;
  for (const probe of ['proc', 'exec'] as const) {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      if (!(await engineAnswers(container, pid, probe))) throw new Error(`probe ${probe} failed`);
      xs.push(performance.now() - t0);
    }
    console.log(`readiness probe ${probe}: p50 ${median(xs).toFixed(2)} ms`);
  }

  const terminals = new TerminalManager({ openShell: testShellFactory(docker, () => provisioner), replayBytes: 65536, windowBytes: 262144, logger: testLogger });
  let out = '';
  let firstByteAt = 0;
  let onData: (() => void) | undefined;
  const t0 = performance.now();
  await terminals.attach({ viewerId: 'm', instanceId, size: { cols: 120, rows: 40 } }, {
    output: (data, ack) => {
      if (!firstByteAt) firstByteAt = performance.now();
      out += Buffer.from(data).toString('utf8');
      ack();
      onData?.();
    },
    exit: () => undefined,
  });
  const attached = performance.now();
  while (!out.includes('# ')) await new Promise((r) => setTimeout(r, 1));
  const promptAt = performance.now();
  console.log(
    `terminal attach→first byte: ${(firstByteAt - t0).toFixed(0)} ms, →prompt drawn: ${(promptAt - t0).toFixed(0)} ms (attach call resolved after ${(attached - t0).toFixed(0)} ms)`,
  );

  await new Promise((r) => setTimeout(r, 300));
  const echo: number[] = [];
  for (let i = 0; i < 200; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    out = '';
    const t = performance.now();
    await new Promise<void>((resolve) => {
      onData = () => out.includes(ch) && resolve();
      terminals.input('m', ch);
    });
    echo.push(performance.now() - t);
    if (i % 50 === 49) terminals.input('m', '\x15'); // ^U clears the line
  }
  onData = undefined;
  console.log(`keystroke echo through the manager: p50 ${median(echo).toFixed(2)} ms, p95 ${pct(echo, 95).toFixed(2)} ms (n=${echo.length})`);
  terminals.closeAll('done');
} finally {
  await removeNodeResources(docker, nodeId);
}
