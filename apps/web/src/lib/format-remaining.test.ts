import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryWarning, formatRemaining, parsePort } from './format-remaining.ts';

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

test('expiryWarning: none before 15 minutes left, then 15, then 5, none once over', () => {
  assert.equal(expiryWarning(4 * 3600_000), null);
  assert.equal(expiryWarning(15 * 60_000 + 1), null);
  assert.equal(expiryWarning(15 * 60_000), 15);
  assert.equal(expiryWarning(6 * 60_000), 15);
  assert.equal(expiryWarning(5 * 60_000), 5);
  assert.equal(expiryWarning(1_000), 5);
  assert.equal(expiryWarning(0), null);
});
