import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import Docker from 'dockerode';
import { after, before, test } from 'node:test';
import { instanceContainerName, newInstanceId, newSessionId, type CreateInstanceJob, type SecurityMode } from '@playground/contracts';
import { execCollect } from '../../apps/node-agent/src/instances/exec-collect.ts';
import type { DockerInstanceProvisioner } from '../../apps/node-agent/src/instances/docker-instance-provisioner.ts';
import { removeNodeResources, requireDocker, testProvisioner, uniqueNodeId } from '../../apps/node-agent/test/support.ts';
import { escapeProbes, type EscapeProbe, type HostFacts } from './escape-probes.ts';
import { NODE_ENGINES_SCRIPT, nodeEngineSocket } from '../../infra/node-engines.ts';

// The security suite: from a root shell inside a real instance in the DEFAULT mode, every
// escape and limit bypass a learner would try fails, while the same mechanism aimed at what
// the instance owns works (the control). The unsafe modes run the same attempts and the suite
// prints what they allow — infra/README.md's table of modes is this output. The unsafe modes
// need an engine without userns-remap (on a remapped engine the image's files belong to the
// remapped root), so they run on an engine of their own: node 8's of infra/node-engines.sh.

const MiB = 1024 * 1024;
const LIMITS = { cpus: 1, memoryBytes: 512 * MiB, pids: 300 };
const DEFAULT_MODE: SecurityMode = 'userns';

let docker: Docker;
let host: HostFacts;
let probes: EscapeProbe[];
const nodes: { engine: Docker; nodeId: string }[] = [];
const instances = new Map<SecurityMode, Docker.Container | string>();
/** What each attempt did in the default mode, for the report. */
const defaultOutcomes = new Map<string, boolean>();
const UNSAFE_ENGINE_NODE = 8;

/** An engine without userns-remap for the unsafe modes (started, or found running, by node-engines.sh). */
function unsafeModeEngine(): Docker {
  const result = spawnSync('bash', [NODE_ENGINES_SCRIPT, 'up-one', String(UNSAFE_ENGINE_NODE)], {
    env: { ...process.env, SECURITY_MODE: 'minimal-caps' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`could not start an engine for the unsafe modes: ${result.stderr || result.stdout}`);
  return new Docker({ socketPath: nodeEngineSocket(UNSAFE_ENGINE_NODE) });
}

async function startInstance(mode: SecurityMode, engine: Docker = docker): Promise<Docker.Container | string> {
  const nodeId = uniqueNodeId();
  nodes.push({ engine, nodeId });
  const provisioner: DockerInstanceProvisioner = testProvisioner(engine, nodeId, { securityMode: mode });
  const job: CreateInstanceJob = { sessionId: newSessionId(), instanceId: newInstanceId(), hostname: 'probe', limits: LIMITS };
  try {
    await provisioner.createInstance(job);
    return engine.getContainer(instanceContainerName(job.instanceId));
  } catch (err) {
    return `cannot start here: ${(err as Error).message}`;
  }
}

async function run(container: Docker.Container, script: string): Promise<{ ok: boolean; output: string }> {
  const result = await execCollect(container, ['bash', '-c', script], 60_000);
  return { ok: result.exitCode === 0, output: `${result.stdout}${result.stderr}`.trim().slice(0, 400) };
}

function defaultInstance(): Docker.Container {
  const instance = instances.get(DEFAULT_MODE);
  if (typeof instance === 'string' || !instance) throw new Error(`the ${DEFAULT_MODE} instance did not start: ${instance}`);
  return instance;
}

before(async () => {
  docker = await requireDocker();
  const root = statSync('/').dev;
  host = {
    // Linux dev_t: major in bits 8-19, minor in bits 0-7 and 20-31.
    rootDevice: { major: (root >> 8) & 0xfff, minor: (root & 0xff) | ((root >> 12) & 0xfff00) },
    engineName: (await docker.info()).Name as string,
    pidsLimit: LIMITS.pids,
  };
  probes = escapeProbes(host);
  instances.set(DEFAULT_MODE, await startInstance(DEFAULT_MODE));
});

after(async () => {
  for (const { engine, nodeId } of nodes) await removeNodeResources(engine, nodeId);
});

test(`the default security mode is ${DEFAULT_MODE}`, async () => {
  const { loadConfig } = await import('../../apps/node-agent/src/config.ts');
  assert.equal(loadConfig({ AGENT_TOKEN: 'x' }).SECURITY_MODE, DEFAULT_MODE);
});

for (const probe of escapeProbes({ rootDevice: { major: 0, minor: 0 }, engineName: '', pidsLimit: LIMITS.pids })) {
  test(`${DEFAULT_MODE}: a learner cannot ${probe.name}`, async () => {
    const current = probes.find((p) => p.name === probe.name)!;
    const instance = defaultInstance();
    const control = await run(instance, current.control);
    assert.ok(control.ok, `the control must work, or the probe proves nothing: ${control.output}`);
    const attempt = await run(instance, current.attempt);
    defaultOutcomes.set(probe.name, attempt.ok);
    assert.equal(attempt.ok, false, `ESCAPE: "${probe.name}" worked from inside an instance: ${attempt.output}`);
  });
}

test(`${DEFAULT_MODE}: the learner still has a whole Docker engine (run, build, compose, published port, swarm)`, async () => {
  const instance = defaultInstance();
  const script = `set -e
docker pull -q busybox >/dev/null
[ "$(docker run --rm --memory 64m --pids-limit 50 busybox cat /sys/fs/cgroup/pids/pids.max)" = 50 ]
d=$(mktemp -d); printf 'FROM busybox\\nRUN echo built >/built\\nCMD cat /built\\n' >"$d/Dockerfile"
docker build -q -t probe-build "$d" >/dev/null
[ "$(docker run --rm probe-build)" = built ]
printf 'services:\\n  a:\\n    image: busybox\\n    command: sleep 60\\n  b:\\n    image: busybox\\n    command: ping -c 1 a\\n' >"$d/docker-compose.yml"
(cd "$d" && docker-compose up -d >/dev/null 2>&1 && sleep 2 && docker-compose logs b | grep -q '1 packets received' && docker-compose down >/dev/null 2>&1)
docker run -d --name web -p 8080:80 busybox httpd -f -p 80 -h /etc >/dev/null
docker swarm init >/dev/null 2>&1 || docker swarm init --advertise-addr "$(hostname -i | awk '{ print $1 }')" >/dev/null
echo engine-ok`;
  const result = await run(instance, script);
  assert.ok(result.ok && result.output.endsWith('engine-ok'), `Docker inside the instance: ${result.output}`);
  const info = await instance.inspect();
  const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
  const page = await fetch(`http://${ip}:8080/hostname`, { signal: AbortSignal.timeout(5000) });
  assert.equal(page.status, 200, 'a port published inside the instance answers at its address');
});

test('other modes: the same attempts, reported (and the probes do detect a real escape)', async (t) => {
  const report: string[] = [];
  const outcomes = new Map<string, Map<string, boolean | string>>();
  const engine = unsafeModeEngine();
  for (const mode of ['minimal-caps', 'privileged'] as SecurityMode[]) {
    const instance = await startInstance(mode, engine);
    const results = new Map<string, boolean | string>();
    outcomes.set(mode, results);
    for (const probe of probes) results.set(probe.name, typeof instance === 'string' ? instance : (await run(instance, probe.attempt)).ok);
  }
  report.push(`| attempt | ${DEFAULT_MODE} | minimal-caps | privileged |`, '|---|---|---|---|');
  const cell = (value: boolean | string | undefined) => (value === true ? 'ESCAPES' : value === false ? 'blocked' : 'n/a');
  for (const probe of probes) {
    report.push(`| ${probe.name} | ${cell(defaultOutcomes.get(probe.name))} | ${cell(outcomes.get('minimal-caps')?.get(probe.name))} | ${cell(outcomes.get('privileged')?.get(probe.name))} |`);
  }
  const privileged = [...(outcomes.get('privileged')?.values() ?? [])][0];
  if (typeof privileged === 'string') report.push(`(privileged: ${privileged})`);
  for (const line of report) t.diagnostic(line);

  // The positive control of the whole suite: where the escape exists, the probe sees it.
  const minimal = outcomes.get('minimal-caps')!;
  assert.notEqual(typeof [...minimal.values()][0], 'string', `the minimal-caps instance must start: ${[...minimal.values()][0]}`);
  for (const known of ['be root on the host (root inside maps to host uid 0)', 'write kernel.core_pattern (runs a program as host root on a crash)', "raise the instance's own pids limit"]) {
    assert.equal(minimal.get(known), true, `the probe "${known}" must detect the known escape of minimal-caps`);
  }
});
