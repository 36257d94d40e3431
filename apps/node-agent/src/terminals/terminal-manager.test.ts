import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId } from '@playground/contracts';
import type { DockerInstanceProvisioner } from '../instances/docker-instance-provisioner.ts';
import { removeNodeResources, requireDocker, testLogger, TEST_LIMITS, testProvisioner, testShellFactory, uniqueNodeId } from '../../test/support.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { execCollect } from '../instances/exec-collect.ts';
import { RELAY_PATH } from './relay-shell.ts';
import { DEFAULT_MAX_PENDING_INPUT_BYTES } from './shell.ts';
import { TerminalManager, type ViewerSink } from './terminal-manager.ts';

const nodeId = uniqueNodeId();
const sessionId = newSessionId();
const instanceId = newInstanceId();
const WINDOW = 64 * 1024;

let docker: Docker;
let provisioner: DockerInstanceProvisioner;
let terminals: TerminalManager;

/** A viewer that records what it receives and acks at once unless told not to. */
function viewer(opts: { ack: boolean } = { ack: true }) {
  const chunks: Buffer[] = [];
  const exits: { code: number | null; reason: string }[] = [];
  let received = 0;
  const sink: ViewerSink = {
    output(data, ack) {
      received += data.length;
      if (opts.ack) {
        chunks.push(Buffer.from(data));
        ack();
      } else if (chunks.length < 4) chunks.push(Buffer.from(data));
    },
    exit(info) {
      exits.push(info);
    },
  };
  return {
    sink,
    exits,
    text: () => Buffer.concat(chunks).toString('utf8'),
    get received() {
      return received;
    },
    reset: () => chunks.splice(0),
  };
}

before(async () => {
  docker = await requireDocker();
  provisioner = testProvisioner(docker, nodeId);
  await provisioner.createInstance({ sessionId, instanceId, hostname: 'node1', limits: TEST_LIMITS });
  terminals = new TerminalManager({ openShell: testShellFactory(docker, () => provisioner), replayBytes: 65536, windowBytes: WINDOW, logger: testLogger });
});

after(async () => {
  terminals?.closeAll('test over');
  if (docker) await removeNodeResources(docker, nodeId);
});

test('attach, type a command, see its output', async () => {
  const v = viewer();
  const reply = await terminals.attach({ viewerId: 'v1', instanceId, size: { cols: 120, rows: 40 } }, v.sink);
  assert.deepEqual(reply, { ok: true });
  await eventually(() => v.text().includes('#'), { timeoutMs: 30000, description: 'a prompt' });
  terminals.input('v1', 'echo hi\r');
  await eventually(() => /[\r\n]hi\r\n/.test(v.text()), { timeoutMs: 10_000, description: 'hi' });
  terminals.input('v1', 'stty size\r');
  await eventually(() => v.text().includes('40 120'), { timeoutMs: 10_000, description: 'the size of the viewer' });
  terminals.input('v1', 'echo "parent=$(cat /proc/$PPID/comm)"\r');
  await eventually(() => v.text().includes('parent=pty-relay'), { timeoutMs: 10_000, description: "the terminal relay as the shell's parent" });
});

test('detach and re-attach replays the screen from the same shell', async () => {
  terminals.input('v1', 'export MARK=same-shell\r');
  await new Promise((r) => setTimeout(r, 200));
  terminals.detach('v1');
  assert.ok(terminals.inspect(instanceId), 'the shell outlives its viewers');
  const v = viewer();
  await terminals.attach({ viewerId: 'v2', instanceId }, v.sink);
  assert.match(v.text(), /echo hi/, 'replay holds earlier output');
  terminals.input('v2', 'echo $MARK\r');
  await eventually(() => /[\r\n]same-shell\r\n/.test(v.text()), { timeoutMs: 10_000, description: 'the variable set before the re-attach' });
  terminals.detach('v2');
});

test('two viewers see the same output', async () => {
  const a = viewer();
  const b = viewer();
  await terminals.attach({ viewerId: 'va', instanceId }, a.sink);
  await terminals.attach({ viewerId: 'vb', instanceId }, b.sink);
  terminals.input('vb', 'echo both-$((20+22))\r');
  await eventually(() => a.text().includes('both-42'), { timeoutMs: 10_000, description: 'output in a' });
  await eventually(() => b.text().includes('both-42'), { timeoutMs: 10_000, description: 'output in b' });
  terminals.detach('va');
  terminals.detach('vb');
});

test("a watcher that follows the shell's size is told it before the screen and at every resize; others never", async () => {
  const learner = viewer();
  const watcher = viewer();
  await terminals.attach({ viewerId: 'learner', instanceId, size: { cols: 100, rows: 30 } }, learner.sink);
  await terminals.attach({ viewerId: 'watcher', instanceId, followsSize: true }, watcher.sink);
  assert.ok(watcher.text().startsWith('\x1b[8;30;100t'), 'the size comes before the replayed screen');
  terminals.resize('learner', { cols: 90, rows: 25 });
  await eventually(() => watcher.text().includes('\x1b[8;25;90t'), { timeoutMs: 5_000, description: 'the new size' });
  terminals.resize('learner', { cols: 90, rows: 25 });
  terminals.input('learner', 'echo after-$((40+2))\r');
  await eventually(() => watcher.text().includes('after-42'), { timeoutMs: 10_000, description: 'output after the resizes' });
  assert.equal(watcher.text().split('\x1b[8;').length - 1, 2, 'an unchanged size is not told again');
  assert.ok(!learner.text().includes('\x1b[8;'), 'a viewer that sizes the shell never gets the sequence');
  terminals.input('learner', 'stty size\r');
  await eventually(() => learner.text().includes('25 90'), { timeoutMs: 10_000, description: 'the shell at the learner\'s size' });
  terminals.detach('learner');
  terminals.detach('watcher');
});

test('a viewer that never acks pauses the shell; memory stays bounded; leaving resumes it', async (t) => {
  const fast = viewer();
  const stuck = viewer({ ack: false });
  await terminals.attach({ viewerId: 'fast', instanceId }, fast.sink);
  await terminals.attach({ viewerId: 'stuck', instanceId }, stuck.sink);
  // Unbounded output: without flow control this would pile up at ~8 MiB/s.
  terminals.input('fast', 'yes 0123456789abcdefghijklmnopqrstuvwxyz\r');
  await eventually(() => terminals.inspect(instanceId)?.paused, { timeoutMs: 10000, description: 'the shell paused' });
  await new Promise((r) => setTimeout(r, 500));
  const mem0 = process.memoryUsage();
  const fast0 = fast.received;
  await new Promise((r) => setTimeout(r, 3000));
  const mem1 = process.memoryUsage();
  const state = terminals.inspect(instanceId)!;
  assert.equal(state.paused, true);
  const stuckUnacked = state.viewers.find((v) => v.id === 'stuck')!.unacked;
  // At most the window plus what was in flight when the pause took effect (one read).
  assert.ok(stuckUnacked <= WINDOW + 256 * 1024, `stuck viewer holds ${stuckUnacked} bytes`);
  assert.ok(fast.received - fast0 < 1024 * 1024, `output kept flowing while paused: ${fast.received - fast0} bytes`);
  const grew = mem1.heapUsed + mem1.arrayBuffers - (mem0.heapUsed + mem0.arrayBuffers);
  t.diagnostic(`stuck viewer unacked ${stuckUnacked} B; output while paused ${fast.received - fast0} B; memory growth ${grew} B`);
  assert.ok(grew < 8 * 1024 * 1024, `agent memory grew by ${grew} bytes while paused`);

  terminals.detach('stuck');
  const before = fast.received;
  await eventually(() => fast.received > before + 1024 * 1024, { timeoutMs: 10000, description: 'output flows again' });
  terminals.input('fast', '\x03');
  await new Promise((r) => setTimeout(r, 300));
  fast.reset();
  terminals.input('fast', 'echo after-$((1+1))\r');
  await eventually(() => fast.text().includes('after-2'), { timeoutMs: 10000, description: 'the shell answers again' });
  terminals.detach('fast');
});

test('a shell that stops reading its input: pending input stays bounded, the rest is dropped with one notice', async (t) => {
  const v = viewer();
  await terminals.attach({ viewerId: 'paster', instanceId }, v.sink);
  t.after(() => terminals.closeInstance(instanceId, 'test: end the stuck shell')); // also when an assertion failed
  // A learner's foreground program that never reads stdin, on a raw TTY (no line limit, no echo):
  // the TTY fills, the relay stops reading its connection, the kernel's buffers on the way
  // fill, then our side would.
  terminals.input('paster', 'stty raw -echo; echo raw-$((40+2)); sleep 600\r');
  await eventually(() => v.text().includes('raw-42'), { timeoutMs: 10_000, description: 'the TTY in raw mode' });
  const mem0 = process.memoryUsage();
  // 64 MiB of pasted input, far more than every kernel buffer on the way can hold; each chunk
  // a string of its own, as each arrives from the wire.
  for (let i = 0; i < 2048; i++) {
    terminals.input('paster', String(i).padEnd(32 * 1024, 'p'));
    if (i % 256 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const mem1 = process.memoryUsage();
  const grew = mem1.heapUsed + mem1.arrayBuffers - (mem0.heapUsed + mem0.arrayBuffers);
  const notices = v.text().split('further input was dropped').length - 1;
  const pending = terminals.inspect(instanceId)!.pendingInputBytes;
  t.diagnostic(`pending input ${pending} B, memory growth ${grew} B after 64 MiB of input to a shell that does not read`);
  // (The kernel goes on taking some of it into a growing TCP buffer, so what is left here may be 0.)
  assert.ok(pending <= DEFAULT_MAX_PENDING_INPUT_BYTES, `pending input ${pending} bytes`);
  assert.equal(notices, 1, 'the viewer is told once');
  assert.ok(grew < 16 * 1024 * 1024, `agent memory grew by ${grew} bytes`);
  terminals.closeInstance(instanceId, 'test: end the stuck shell');
  await eventually(() => v.exits[0], { timeoutMs: 10_000, description: 'the stuck shell ended' });
});

test('the shell exiting tells its viewers; the next attach starts a new shell', async () => {
  const v = viewer();
  await terminals.attach({ viewerId: 'vx', instanceId }, v.sink);
  terminals.input('vx', 'exit 3\r');
  await eventually(() => v.exits[0], { timeoutMs: 10_000, description: 'exit' });
  assert.equal(v.exits[0]!.code, 3);
  assert.equal(terminals.inspect(instanceId), undefined);
  const w = viewer();
  assert.deepEqual(await terminals.attach({ viewerId: 'vy', instanceId }, w.sink), { ok: true });
  terminals.input('vy', 'echo $MARK-unset\r');
  await eventually(() => /[\r\n]-unset\r\n/.test(w.text()), { timeoutMs: 10_000, description: 'fresh shell' });
  terminals.closeInstance(instanceId, 'the instance was deleted');
  assert.equal(w.exits[0]?.reason, 'the instance was deleted');
});

test('extra shells are shells of their own; closing one ends it for its viewers, the main one lives on', async () => {
  const main = viewer();
  const second = viewer();
  const secondToo = viewer();
  await terminals.attach({ viewerId: 'm', instanceId }, main.sink);
  assert.deepEqual(await terminals.attach({ viewerId: 's', instanceId, shell: 1 }, second.sink), { ok: true });
  await terminals.attach({ viewerId: 's2', instanceId, shell: 1 }, secondToo.sink);
  terminals.input('m', 'echo pid-$$\r');
  terminals.input('s', 'echo pid-$$\r');
  const pidOf = (text: string) => /[\r\n]pid-(\d+)\r\n/.exec(text)?.[1];
  const mainPid = await eventually(() => pidOf(main.text()), { timeoutMs: 30_000, description: "the main shell's pid" });
  const secondPid = await eventually(() => pidOf(second.text()), { timeoutMs: 30_000, description: "the second shell's pid" });
  assert.notEqual(mainPid, secondPid);
  await eventually(() => pidOf(secondToo.text()) === secondPid, { timeoutMs: 10_000, description: 'the second viewer of shell 1 sees its output' });
  assert.equal(main.text().includes(`pid-${secondPid}`), false, "shell 1's output stays out of the main shell");
  assert.deepEqual(terminals.counts(), { shells: 2, viewers: 3 });

  terminals.close('m'); // the main shell is not closed this way
  terminals.close('s');
  assert.deepEqual(second.exits, [{ code: null, reason: 'the shell was closed' }]);
  assert.deepEqual(secondToo.exits, [{ code: null, reason: 'the shell was closed' }]);
  assert.equal(terminals.inspect(instanceId, 1), undefined);
  assert.deepEqual(main.exits, []);
  main.reset();
  terminals.input('m', 'echo still-$((6*7))\r');
  await eventually(() => main.text().includes('still-42'), { timeoutMs: 10_000, description: 'the main shell answers' });

  await terminals.attach({ viewerId: 's3', instanceId, shell: 2 }, viewer().sink);
  terminals.closeInstance(instanceId, 'the instance was deleted');
  assert.deepEqual(terminals.counts(), { shells: 0, viewers: 0 }, 'every shell of the instance ended with it');
});

test('attaching to an instance that does not exist replies with an error', async () => {
  const reply = await terminals.attach({ viewerId: 'vz', instanceId: newInstanceId() }, viewer().sink);
  assert.equal(reply.ok, false);
  assert.equal(!reply.ok && reply.code, 'instance_not_found');
});

test("the first viewer's language greets: a prewarmed shell no one saw is replaced, a seen one is kept", async () => {
  const second = newInstanceId();
  await provisioner.createInstance({ sessionId, instanceId: second, hostname: 'node2', limits: TEST_LIMITS });
  terminals.prewarm(second);
  await eventually(() => terminals.inspect(second), { timeoutMs: 30_000, description: 'the prewarmed shell' });
  const korean = viewer();
  assert.deepEqual(await terminals.attach({ viewerId: 'ko', instanceId: second, lang: 'ko' }, korean.sink), { ok: true });
  terminals.input('ko', 'export MARK=first-shell; echo "lang=[$PLAYGROUND_LANG]"\r');
  await eventually(() => korean.text().includes('lang=[ko]'), { timeoutMs: 10_000, description: 'a shell started in Korean' });
  // Someone else opening the same terminal in English joins the shell that is already on screen.
  const english = viewer();
  await terminals.attach({ viewerId: 'en', instanceId: second, lang: 'en' }, english.sink);
  terminals.input('en', 'echo "still=[$MARK/$PLAYGROUND_LANG]"\r');
  await eventually(() => english.text().includes('still=[first-shell/ko]'), { timeoutMs: 10_000, description: 'the same shell' });
  terminals.closeInstance(second, 'test over');
});

test('an extra shell nobody holds ends after the idle time, and the next attach is told so; the main shell and a held tab stay', async () => {
  const idle = new TerminalManager({ openShell: testShellFactory(docker, () => provisioner), replayBytes: 65536, windowBytes: WINDOW, logger: testLogger, idleCloseMs: 1_500 });
  try {
    const main = viewer();
    const left = viewer();
    const held = viewer();
    await idle.attach({ viewerId: 'main', instanceId }, main.sink);
    await idle.attach({ viewerId: 'left', instanceId, shell: 1 }, left.sink);
    await idle.attach({ viewerId: 'held', instanceId, shell: 2 }, held.sink);
    const pidOf = (text: string) => /[\r\n]pid-(\d+)\r\n/.exec(text)?.[1];
    idle.input('left', 'echo pid-$$\r');
    const leftPid = await eventually(() => pidOf(left.text()), { timeoutMs: 30_000, description: "tab 1's pid" });
    idle.detach('main');
    idle.detach('left');
    await new Promise((r) => setTimeout(r, 3_000));

    assert.equal(idle.inspect(instanceId, 1), undefined, 'the unwatched tab ended');
    assert.ok(idle.inspect(instanceId, 2), 'a tab with a viewer is kept');
    assert.ok(idle.inspect(instanceId), 'the main shell is never ended for idleness');
    assert.deepEqual(idle.counts(), { shells: 2, viewers: 1 });
    const back = viewer();
    await idle.attach({ viewerId: 'main2', instanceId }, back.sink);
    idle.input('main2', `kill -0 ${leftPid} 2>/dev/null && echo alive-${leftPid} || echo gone-${leftPid}\r`);
    await eventually(() => new RegExp(`\\rgone-${leftPid}\\r\\n`).test(back.text()), { timeoutMs: 10_000, description: "tab 1's process gone" });

    const reply = await idle.attach({ viewerId: 'left2', instanceId, shell: 1 }, viewer().sink);
    assert.deepEqual(reply, { ok: false, code: 'shell_closed_idle', message: 'this shell was closed after 0.03 minutes with nobody using it', idleMinutes: 0.03 });
    const fresh = viewer();
    assert.deepEqual(await idle.attach({ viewerId: 'left3', instanceId, shell: 1 }, fresh.sink), { ok: true }, 'told once; then a new shell');
    idle.input('left3', 'echo pid-$$\r');
    assert.notEqual(await eventually(() => pidOf(fresh.text()), { timeoutMs: 30_000, description: "the new tab 1's pid" }), leftPid);
  } finally {
    idle.closeInstance(instanceId, 'test over');
  }
});

test("an instance whose image has no terminal relay still gets its shells, over docker exec", async () => {
  const moved = `${RELAY_PATH}.moved`;
  const container = docker.getContainer(instanceContainerName(instanceId));
  await execCollect(container, ['mv', RELAY_PATH, moved], 10_000);
  const plain = new TerminalManager({ openShell: testShellFactory(docker, () => provisioner), replayBytes: 65536, windowBytes: WINDOW, logger: testLogger });
  try {
    const v = viewer();
    assert.deepEqual(await plain.attach({ viewerId: 'plain', instanceId, shell: 5, size: { cols: 90, rows: 20 } }, v.sink), { ok: true });
    plain.input('plain', 'stty size; echo "parent=$(cat /proc/$PPID/comm)"\r');
    await eventually(() => /parent=(?!pty-relay)\S+/.test(v.text()), { timeoutMs: 30_000, description: 'a shell not under the relay' });
    assert.match(v.text(), /20 90/, "the viewer's size");
    plain.input('plain', 'exit 7\r');
    await eventually(() => v.exits[0], { timeoutMs: 10_000, description: 'exit' });
    assert.equal(v.exits[0]!.code, 7);
  } finally {
    plain.closeAll('test over');
    await execCollect(container, ['mv', moved, RELAY_PATH], 10_000);
  }
});
