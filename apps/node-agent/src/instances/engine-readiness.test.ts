import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId } from '@playground/contracts';
import { removeNodeResources, requireDocker, TEST_IMAGE, TEST_LIMITS, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { engineAnswers, innerSocketPath } from './engine-readiness.ts';

const nodeId = uniqueNodeId();
let docker: Docker;
let idle: Docker.Container;
const instanceId = newInstanceId();

function engineId(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: '/info' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve((JSON.parse(body) as { ID: string }).ID));
      })
      .on('error', reject);
  });
}

before(async () => {
  docker = await requireDocker();
  // The instance image with no engine running: readiness must say no.
  idle = await docker.createContainer({
    Image: TEST_IMAGE,
    Entrypoint: ['sleep', '120'],
    Labels: { 'playground.managed': 'true', 'playground.node': nodeId },
  });
  await idle.start();
  const provisioner = testProvisioner(docker, nodeId);
  await provisioner.createInstance({ sessionId: newSessionId(), instanceId, hostname: 'node1', limits: TEST_LIMITS });
});

after(async () => {
  if (docker) await removeNodeResources(docker, nodeId);
});

test("an instance without a running engine is not ready (the host's socket is never mistaken for it)", async () => {
  const pid = (await idle.inspect()).State.Pid;
  assert.equal(await innerSocketPath(pid), undefined);
  assert.equal(await engineAnswers(idle, pid, 'proc'), false);
  assert.equal(await engineAnswers(idle, pid, 'auto'), false);
  assert.equal(await engineAnswers(idle, pid, 'exec'), false);
});

test("the socket found through /proc is the instance's own engine", async () => {
  const container = docker.getContainer(instanceContainerName(instanceId));
  const pid = (await container.inspect()).State.Pid;
  const socket = await innerSocketPath(pid);
  assert.ok(socket, 'inner socket found');
  const hostId = ((await docker.info()) as { ID: string }).ID;
  assert.notEqual(await engineId(socket), hostId);
  assert.equal(await engineAnswers(container, pid, 'proc'), true);
  assert.equal(await engineAnswers(container, pid, 'exec'), true);
});
