import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRemaining, parsePort } from './format-remaining.ts';

test('formatRemaining renders h:mm:ss', () => {
  assert.equal(formatRemaining(4 * 3600_000), '4:00:00');
  assert.equal(formatRemaining(9 * 60_000 + 5_000 + 999), '0:09:05');
  assert.equal(formatRemaining(-5), '0:00:00');
});

test('parsePort accepts 1–65535 only', () => {
  assert.deepEqual(parsePort('80'), { port: 80 });
  assert.deepEqual(parsePort(' 65535 '), { port: 65535 });
  assert.ok('error' in parsePort('0'));
  assert.ok('error' in parsePort('65536'));
  assert.ok('error' in parsePort(''));
  assert.ok('error' in parsePort('8.5'));
  assert.ok('error' in parsePort('-1'));
});
