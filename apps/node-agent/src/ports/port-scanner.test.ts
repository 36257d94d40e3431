import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId } from '@playground/contracts';
import type { DockerInstanceProvisioner } from '../instances/docker-instance-provisioner.ts';
import { execCollect } from '../instances/exec-collect.ts';
import { removeNodeResources, requireDocker, testLogger, TEST_LIMITS, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { PortScanner, type PortReadMode } from './port-scanner.ts';

const nodeId = uniqueNodeId();
const sessionId = newSessionId();
const instanceId = newInstanceId();

let docker: Docker;
let provisioner: DockerInstanceProvisioner;
const sh = (script: string) => execCollect(docker.getContainer(instanceContainerName(instanceId)), ['sh', '-c', script], 10000);

before(async () => {
  docker = await requireDocker();
  provisioner = testProvisioner(docker, nodeId);
  await provisioner.createInstance({ sessionId, instanceId, hostname: 'node1', limits: TEST_LIMITS });
  // A web server on all addresses and one on loopback only (python3 comes with docker-compose).
  await sh('nohup python3 -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1 &');
  await sh('nohup python3 -m http.server 8081 --bind 127.0.0.1 >/dev/null 2>&1 &');
});

after(async () => {
  if (docker) await removeNodeResources(docker, nodeId);
});

function scanner(mode: PortReadMode, isHiddenPort?: (port: number) => boolean) {
  const reports: { instanceId: string; ports: number[] }[] = [];
  const s = new PortScanner({
    docker,
    listInstances: () => provisioner.listInstances(),
    onPorts: (id, ports) => reports.push({ instanceId: id, ports }),
    isHiddenPort,
    intervalMs: 200,
    logger: testLogger,
    mode,
  });
  return { s, reports, latest: () => reports.filter((r) => r.instanceId === instanceId).at(-1)?.ports };
}

for (const mode of ['proc', 'exec'] as const) {
  test(`reports a listener on 8080 and not a loopback-only one (${mode})`, async () => {
    const { s, reports, latest } = scanner(mode);
    s.start();
    try {
      await eventually(() => latest()?.includes(8080), { timeoutMs: 10000, description: 'port 8080 reported' });
      assert.deepEqual(latest(), [8080]);
      const count = reports.length;
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(reports.length, count, 'unchanged ports are not re-sent');
      s.resendAll();
      await eventually(() => reports.length > count, { timeoutMs: 10_000, description: 'resend after reconnect' });
    } finally {
      s.stop();
    }
  });
}

test("the agent's own listeners (a terminal relay's port) are not reported as the learner's", async () => {
  await sh('nohup python3 -m http.server 61001 --bind 0.0.0.0 >/dev/null 2>&1 &');
  const { s, latest } = scanner('auto', (port) => port === 61001);
  const plain = scanner('auto');
  s.start();
  plain.s.start();
  try {
    await eventually(() => plain.latest()?.includes(61001), { timeoutMs: 10000, description: 'port 61001 listening' });
    await eventually(() => latest()?.includes(8080), { timeoutMs: 10000, description: 'port 8080 reported' });
    assert.deepEqual(latest(), [8080]);
  } finally {
    s.stop();
    plain.s.stop();
    await sh("pkill -f 'http.server 61001'");
  }
});

test('a port that closes is reported as gone', async () => {
  const { s, latest } = scanner('auto');
  s.start();
  try {
    await eventually(() => latest()?.includes(8080), { timeoutMs: 10000, description: 'port 8080 reported' });
    await sh("pkill -f 'http.server 8080'");
    await eventually(() => latest()?.length === 0, { timeoutMs: 10000, description: 'port 8080 gone' });
  } finally {
    s.stop();
  }
});
