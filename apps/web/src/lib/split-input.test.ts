import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitInput } from './split-input.ts';

test('splitInput keeps short input whole and splits long input losslessly', () => {
  assert.deepEqual(splitInput('ls -la\r'), ['ls -la\r']);
  const long = 'x'.repeat(100_000);
  const parts = splitInput(long);
  assert.equal(parts.join(''), long);
  assert.ok(parts.every((p) => p.length <= 32 * 1024));
  assert.equal(parts.length, 4);
});

test('splitInput never cuts a surrogate pair', () => {
  const text = 'ab😀cd😀';
  const parts = splitInput(text, 3);
  assert.equal(parts.join(''), text);
  for (const part of parts) assert.doesNotMatch(part, /[\ud800-\udbff]$/);
});
