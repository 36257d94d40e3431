import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId } from '@playground/contracts';
import type { DockerInstanceProvisioner } from '../instances/docker-instance-provisioner.ts';
import { PortDialer } from '../ports/port-dialer.ts';
import { removeNodeResources, requireDocker, testLogger, TEST_LIMITS, testProvisioner, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { RELAY_PATH, RelayPorts } from './relay-shell.ts';

// The terminal relay's protocol, spoken by hand to the real program in a real instance: what
// the agent relies on (relay-shell.ts) and what keeps a shell out of others' reach.

const nodeId = uniqueNodeId();
const instanceId = newInstanceId();
const TOKEN = '00112233445566778899aabbccddeeff';
const PORT = 61_999;

let docker: Docker;
let provisioner: DockerInstanceProvisioner;
let address: string;

before(async () => {
  docker = await requireDocker();
  provisioner = testProvisioner(docker, nodeId);
  await provisioner.createInstance({ sessionId: newSessionId(), instanceId, hostname: 'node1', limits: TEST_LIMITS });
  address = (await new PortDialer(docker, () => provisioner.listInstances(), testLogger).addressOf(instanceId))!;
  assert.ok(address, "the instance's address");
});

after(async () => {
  if (docker) await removeNodeResources(docker, nodeId);
});

/** Starts the relay as the agent does and returns its exec, its stdin and what it prints. */
async function startRelay(request: string): Promise<{ exec: Docker.Exec; stdin: Duplex; stdout: () => string; stderr: () => string }> {
  const exec = await docker.getContainer(instanceContainerName(instanceId)).exec({
    Cmd: [RELAY_PATH],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Env: ['TERM=xterm-256color'],
  });
  const stdin = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (chunk: Buffer) => (out += chunk.toString()));
  const stderr = new PassThrough().on('data', (chunk: Buffer) => (err += chunk.toString()));
  docker.modem.demuxStream(stdin, stdout, stderr);
  stdin.write(`${request}\n`);
  return { exec, stdin, stdout: () => out, stderr: () => err };
}

function dial(port = PORT): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
}

/** Everything the socket receives, and whether the other side closed it. */
function record(socket: Socket) {
  const state = { text: '', closed: false };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('utf8')));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => undefined);
  return state;
}

test('only the connection with the token gets the shell; the port closes behind it; the exec ends with the shell', async () => {
  const relay = await startRelay(`${address} ${PORT} ${TOKEN} 100 30 bash --norc -i`);
  await eventually(() => relay.stdout().includes('ready\n'), { timeoutMs: 10_000, description: 'the relay listening' });

  const stranger = await dial();
  const heard = record(stranger);
  stranger.write('ffeeddccbbaa99887766554433221100');
  await eventually(() => heard.closed, { timeoutMs: 10_000, description: 'the wrong token closed' });
  assert.equal(heard.text, '', 'a wrong token hears nothing of the shell');

  const agent = await dial();
  const shell = record(agent);
  agent.write(TOKEN);
  agent.write('stty size\r');
  await eventually(() => shell.text.includes('30 100'), { timeoutMs: 10_000, description: 'the shell at the requested size' });
  await assert.rejects(dial(), /ECONNREFUSED/, 'no one else can connect once the agent did');

  relay.stdin.write('90 20\n');
  agent.write('stty size; yes | head -1 >/dev/null; echo "pipe=${PIPESTATUS[0]}"\r');
  await eventually(() => shell.text.includes('20 90'), { timeoutMs: 10_000, description: 'the resize from stdin' });
  await eventually(() => shell.text.includes('pipe=141'), { timeoutMs: 10_000, description: 'SIGPIPE at its default in the shell' });

  agent.write('exit 5\r');
  await eventually(() => shell.closed, { timeoutMs: 10_000, description: 'the connection closed after the shell' });
  const state = await eventually(async () => {
    const inspected = await relay.exec.inspect();
    return inspected.Running ? undefined : inspected;
  }, { timeoutMs: 10_000, description: 'the exec ended' });
  assert.equal(state.ExitCode, 5, "the exec's exit code is the shell's");
});

test('the agent closing its connection hangs the shell up', async () => {
  const relay = await startRelay(`${address} ${PORT + 1} ${TOKEN} 80 24 bash --norc -i`);
  await eventually(() => relay.stdout().includes('ready\n'), { timeoutMs: 10_000, description: 'the relay listening' });
  const agent = await dial(PORT + 1);
  const shell = record(agent);
  agent.write(`${TOKEN}sleep 600 & echo "job=$!"\r`);
  const job = await eventually(() => /job=(\d+)/.exec(shell.text)?.[1], { timeoutMs: 10_000, description: 'a background job' });
  agent.destroy();
  const state = await eventually(async () => {
    const inspected = await relay.exec.inspect();
    return inspected.Running ? undefined : inspected;
  }, { timeoutMs: 10_000, description: 'the relay ended' });
  assert.equal(state.ExitCode, 129, 'the shell ended by SIGHUP');
  const left = await docker.getContainer(instanceContainerName(instanceId)).exec({ Cmd: ['sh', '-c', `kill -0 ${job} 2>/dev/null && echo alive || echo gone`], AttachStdout: true });
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const stream = await left.start({ hijack: true });
  docker.modem.demuxStream(stream, out, out);
  await eventually(() => text.trim(), { timeoutMs: 10_000, description: 'whether the job is alive' });
  assert.equal(text.trim(), 'gone', "the shell's jobs were hung up with it");
});

test('a bad request or no connection ends the relay before any shell starts', async () => {
  const bad = await startRelay('not-an-address 1 short');
  await eventually(async () => !(await bad.exec.inspect()).Running, { timeoutMs: 10_000, description: 'the relay ended' });
  assert.equal((await bad.exec.inspect()).ExitCode, 2);
  assert.match(bad.stderr(), /pty-relay: request/);

  const abandoned = await startRelay(`${address} ${PORT + 2} ${TOKEN} 80 24 bash`);
  await eventually(() => abandoned.stdout().includes('ready\n'), { timeoutMs: 10_000, description: 'the relay listening' });
  abandoned.stdin.end(); // the agent gave up before connecting
  await eventually(async () => !(await abandoned.exec.inspect()).Running, { timeoutMs: 10_000, description: 'the relay ended' });
  assert.equal((await abandoned.exec.inspect()).ExitCode, 3);
});

test('relay ports: each taken port is another; a released one stays marked a moment, then is free again', async () => {
  const ports = new RelayPorts(62_000, 62_002, 200);
  const first = ports.take()!;
  const second = ports.take()!;
  assert.notEqual(first, second);
  assert.ok(ports.isRelayPort(first) && ports.isRelayPort(second));
  assert.equal(ports.isRelayPort(62_002), false, 'a port never taken is not hidden');
  ports.release(first);
  assert.equal(ports.isRelayPort(first), true, 'still marked right after its release');
  assert.equal(ports.take(), 62_002);
  assert.equal(ports.take(), undefined, 'every port taken or lingering');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(ports.isRelayPort(first), false);
  assert.equal(ports.take(), first);
});
