import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incompleteTail, Utf8Boundary } from './utf8-boundary.ts';

test('incompleteTail finds a character cut at the end', () => {
  const euro = Buffer.from('€'); // e2 82 ac
  const smile = Buffer.from('😀'); // f0 9f 98 80
  const cases: Array<[Buffer, number]> = [
    [Buffer.from(''), 0],
    [Buffer.from('abc'), 0],
    [euro, 0],
    [euro.subarray(0, 1), 1],
    [euro.subarray(0, 2), 2],
    [Buffer.concat([Buffer.from('x'), smile.subarray(0, 3)]), 3],
    [smile, 0],
    [Buffer.from([0x80, 0x80, 0x80]), 0], // garbage stays garbage, nothing is held back
    [Buffer.from('é'), 0],
    [Buffer.from('é').subarray(0, 1), 1],
  ];
  for (const [buf, expected] of cases) assert.equal(incompleteTail(buf), expected, buf.toString('hex'));
});

test('every split of mixed text decodes to the original, chunk by chunk', () => {
  const text = 'a€b😀c\x1b[31mé\r\n';
  const bytes = Buffer.from(text);
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      const boundary = new Utf8Boundary();
      const parts = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].map((part) => boundary.take(part));
      // Each part on its own is whole characters: decoding separately loses nothing.
      assert.equal(parts.map((part) => part.toString('utf8')).join(''), text, `split at ${i}/${j}`);
    }
  }
});
