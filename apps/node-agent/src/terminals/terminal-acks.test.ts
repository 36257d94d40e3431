import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import pino from 'pino';
import type { Shell } from './shell.ts';
import { ACK_EVERY_CHUNKS, TerminalManager, type ViewerSink } from './terminal-manager.ts';

// The ack bookkeeping in isolation, with a scripted shell (terminal-manager.test.ts runs the
// same manager against real docker exec shells).

class ScriptedShell implements Shell {
  readonly events = new EventEmitter<{ data: [Buffer]; exit: [{ code: number | null }] }>();
  paused = true;
  write(): boolean {
    return true;
  }
  pendingInputBytes(): number {
    return 0;
  }
  async resize(): Promise<void> {}
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(): void {}
  emit(data: string | Buffer): void {
    this.events.emit('data', Buffer.isBuffer(data) ? data : Buffer.from(data));
  }
}

const WINDOW = 4096;

async function setup() {
  const shell = new ScriptedShell();
  const terminals = new TerminalManager({ openShell: async () => shell, replayBytes: 1024, windowBytes: WINDOW, logger: pino({ level: 'silent' }) });
  return { shell, terminals };
}

/** Records chunks; acks only the chunks that ask for it, when `flush` is called (a lagging orchestrator). */
function askingViewer() {
  const chunks: Array<{ data: Buffer; wantsAck: boolean }> = [];
  const waiting: Array<() => void> = [];
  const sink: ViewerSink = {
    output(data, ack, wantsAck) {
      chunks.push({ data: Buffer.from(data), wantsAck });
      if (wantsAck) waiting.push(ack);
    },
    exit() {},
  };
  return { sink, chunks, flush: () => waiting.splice(0).forEach((ack) => ack()) };
}

test('keystroke echoes ask for an ack only every ACK_EVERY_CHUNKS chunks', async () => {
  const { shell, terminals } = await setup();
  const v = askingViewer();
  await terminals.attach({ viewerId: 'v', instanceId: 'i' }, v.sink);
  for (let i = 0; i < ACK_EVERY_CHUNKS * 3; i++) shell.emit('x');
  assert.equal(v.chunks.filter((c) => c.wantsAck).length, 3);
  assert.equal(terminals.inspect('i')!.paused, false);
});

test('a viewer that acks only what was asked never stalls the shell', async () => {
  const { shell, terminals } = await setup();
  const v = askingViewer();
  await terminals.attach({ viewerId: 'v', instanceId: 'i' }, v.sink);
  const chunk = Buffer.alloc(700, 0x61);
  for (let round = 0; round < 50; round++) {
    while (!shell.paused) shell.emit(chunk);
    const unacked = terminals.inspect('i')!.viewers[0]!.unacked;
    assert.ok(unacked > WINDOW && unacked <= WINDOW + chunk.length, `paused with ${unacked} bytes unacknowledged`);
    assert.equal(v.chunks.at(-1)!.wantsAck, true, 'the chunk that crossed the window asked for an ack');
    v.flush();
    assert.equal(shell.paused, false, 'the acks that were asked for resume the shell');
    assert.equal(terminals.inspect('i')!.viewers[0]!.unacked, 0);
  }
});

test('a character cut between two reads reaches the viewer whole', async () => {
  const { shell, terminals } = await setup();
  const v = askingViewer();
  await terminals.attach({ viewerId: 'v', instanceId: 'i' }, v.sink);
  const euro = Buffer.from('a€b');
  shell.emit(euro.subarray(0, 2));
  shell.emit(euro.subarray(2));
  assert.deepEqual(
    v.chunks.map((c) => c.data.toString('utf8')),
    ['a', '€b'],
  );
});
