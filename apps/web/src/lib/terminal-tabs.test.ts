import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextShellNumber, parseOpenShells, tabLabel } from './terminal-tabs.ts';

test('stored tabs are read back as distinct extra shell numbers, in order', () => {
  assert.deepEqual(parseOpenShells('[3,1,3,2]'), [1, 2, 3]);
  assert.deepEqual(parseOpenShells('[0,-1,1.5,"2",100,4]'), [4], 'the main shell, fractions, strings and out-of-range numbers are dropped');
  assert.deepEqual(parseOpenShells('not json'), []);
  assert.deepEqual(parseOpenShells('{"a":1}'), []);
  assert.deepEqual(parseOpenShells(null), []);
});

test('a new tab takes the smallest free number; tabs read from 1', () => {
  assert.equal(nextShellNumber([]), 1);
  assert.equal(nextShellNumber([1, 2]), 3);
  assert.equal(nextShellNumber([2, 3]), 1);
  assert.equal(tabLabel(0), '1');
  assert.equal(tabLabel(2), '3');
});
