import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, normalizeInstancePath } from './files.ts';

describe('normalizeInstancePath', () => {
  const accepted: Array<[string, string]> = [
    ['/root', '/root'],
    ['/root/', '/root'],
    ['.', '/root'],
    ['notes.txt', '/root/notes.txt'],
    ['/root//a/./b/', '/root/a/b'],
    ['app/src/index.js', '/root/app/src/index.js'],
    ['..hidden', '/root/..hidden'],
  ];
  for (const [raw, expected] of accepted) {
    it(`accepts ${JSON.stringify(raw)} as ${expected}`, () => assert.equal(normalizeInstancePath(raw), expected));
  }

  const refused: Array<[string, RegExp]> = [
    ['../etc/passwd', /\.\./],
    ['/root/../etc/passwd', /\.\./],
    ['a/..', /\.\./],
    ['/etc/passwd', /under \/root/],
    ['/rootkit', /under \/root/],
    ['/', /under \/root/],
    ['a\0b', /NUL/],
  ];
  for (const [raw, reason] of refused) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      const result = normalizeInstancePath(raw);
      assert.ok(result instanceof Error);
      assert.match(result.message, reason);
    });
  }
});

describe('formatBytes', () => {
  it('names sizes as the limits are written', () => {
    assert.equal(formatBytes(50 * 1024 * 1024), '50 MB');
    assert.equal(formatBytes(1536 * 1024), '1.5 MB');
    assert.equal(formatBytes(4096), '4 KB');
    assert.equal(formatBytes(512), '512 bytes');
  });
});
