// Measures what the meters cost the node agent: the CPU time of this process over a minute
// with N idle instances, sampled at the default interval (USAGE_SAMPLE_INTERVAL_MS = 2 s),
// against the same minute without sampling, and the time one pass takes.
// Run: node --import tsx apps/node-agent/scripts/measure-usage.ts   (as root, Docker + image present)
import { newInstanceId, newSessionId } from '@playground/contracts';
import { UsageSampler } from '../src/instances/usage-sampler.ts';
import { removeNodeResources, requireDocker, testLogger, testProvisioner, uniqueNodeId } from '../test/support.ts';

const INSTANCES = Number(process.env.INSTANCES ?? 10);
const SECONDS = Number(process.env.SECONDS ?? 60);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 2000);

const docker = await requireDocker();
const nodeId = uniqueNodeId();
const provisioner = testProvisioner(docker, nodeId, { diskBytes: 10 * 1024 ** 3 });
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  const sessionId = newSessionId();
  for (let i = 0; i < INSTANCES; i++) {
    await provisioner.createInstance({ sessionId, instanceId: newInstanceId(), hostname: `node${i + 1}`, limits: { cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 1000 } });
  }
  await sleep(5000); // let the engines settle
  let t = cpuMs();
  await sleep(SECONDS * 1000);
  const idle = cpuMs() - t;

  let reported = 0;
  const sampler = new UsageSampler({ docker, listInstances: () => provisioner.listInstances(), intervalMs: INTERVAL_MS, onReport: (r) => (reported = r.instances.length), logger: testLogger });
  const passes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await sampler.sampleOnce();
    passes.push(performance.now() - t0);
  }
  t = cpuMs();
  sampler.start();
  await sleep(SECONDS * 1000);
  sampler.stop();
  const sampling = cpuMs() - t;
  const cost = (sampling - idle) / (SECONDS * 1000);
  console.log(`${INSTANCES} idle instances, every ${INTERVAL_MS} ms, ${reported} reported per pass:`);
  console.log(`  agent CPU over ${SECONDS} s: ${sampling.toFixed(0)} ms sampling vs ${idle.toFixed(0)} ms not → ${(cost * 100).toFixed(2)} % of one core`);
  console.log(`  one pass: ${passes.map((p) => p.toFixed(1)).join(', ')} ms (the first finds each container's subvolumes)`);
} finally {
  await removeNodeResources(docker, nodeId);
}
