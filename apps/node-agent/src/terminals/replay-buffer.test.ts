import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayBuffer } from './replay-buffer.ts';

test('keeps everything while under capacity', () => {
  const b = new ReplayBuffer(16);
  b.append(Buffer.from('abc'));
  b.append(Buffer.from('def'));
  assert.equal(b.snapshot().toString(), 'abcdef');
});

test('drops the oldest bytes and starts the replay after a newline', () => {
  const b = new ReplayBuffer(10);
  b.append(Buffer.from('line1\nline2\nline3'));
  // kept "2\nline3" plus … last 10 bytes = "ine2\nline3"; replay starts at "line3"
  assert.equal(b.length, 10);
  assert.equal(b.snapshot().toString(), 'line3');
});

test('without a newline, never starts inside a UTF-8 character', () => {
  const b = new ReplayBuffer(7);
  b.append(Buffer.from('ééééé')); // 10 bytes, 2 per character
  const snap = b.snapshot();
  assert.equal(snap.length, 6);
  assert.equal(snap.toString('utf8'), 'ééé');
});

test('memory stays bounded under many appends', () => {
  const b = new ReplayBuffer(1024);
  for (let i = 0; i < 10000; i++) b.append(Buffer.from(`row ${i}\n`));
  assert.equal(b.length, 1024);
  assert.match(b.snapshot().toString(), /^row \d+\n/);
  assert.match(b.snapshot().toString(), /row 9999\n$/);
});

test('a single chunk larger than the capacity keeps its tail', () => {
  const b = new ReplayBuffer(4);
  b.append(Buffer.from('abcdefgh'));
  assert.equal(b.snapshot().toString(), 'efgh');
});
