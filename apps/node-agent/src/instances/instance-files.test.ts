import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEntries } from './instance-files.ts';

// find's -printf records as the agent reads them: NUL-separated fields, whole records only.

const record = (...fields: string[]) => fields.map((field) => `${field}\0`).join('');

describe('parseEntries', () => {
  it('reads files, folders, symlinks (with their target) and other kinds', () => {
    const output = Buffer.from(
      record('f', 'f', '12', '1700000000.5', '', 'notes.txt') +
        record('d', 'd', '4096', '1700000000', '', 'my dir') +
        record('l', 'f', '7', '1700000000', 'a/b.txt', 'link') +
        record('l', 'N', '4', '1700000000', 'gone', 'dangling') +
        record('p', 'p', '0', '1700000000', '', 'fifo'),
    );
    assert.deepEqual(parseEntries(output), [
      { name: 'notes.txt', kind: 'file', size: 12, modifiedAt: '2023-11-14T22:13:20.500Z' },
      { name: 'my dir', kind: 'directory', size: 4096, modifiedAt: '2023-11-14T22:13:20.000Z' },
      { name: 'link', kind: 'symlink', size: 7, modifiedAt: '2023-11-14T22:13:20.000Z', target: 'a/b.txt', targetKind: 'file' },
      { name: 'dangling', kind: 'symlink', size: 4, modifiedAt: '2023-11-14T22:13:20.000Z', target: 'gone', targetKind: 'other' },
      { name: 'fifo', kind: 'other', size: 0, modifiedAt: '2023-11-14T22:13:20.000Z' },
    ]);
  });

  it('keeps names with tabs and newlines whole, and drops a record cut short by the output bound', () => {
    const output = Buffer.from(record('f', 'f', '1', '0', '', 'odd\tname\n') + 'f\0f\0' + '3\0');
    assert.deepEqual(parseEntries(output).map((entry) => entry.name), ['odd\tname\n']);
    assert.deepEqual(parseEntries(Buffer.alloc(0)), []);
  });
});
