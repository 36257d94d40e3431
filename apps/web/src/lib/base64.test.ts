import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToBase64, textToBase64 } from './base64.ts';

describe('base64 for pushed files', () => {
  it('encodes UTF-8 text as Node does', () => {
    for (const text of ['', 'hello\n', 'héllo → wörld ✓\n', '#!/bin/sh\necho "$1"\n']) {
      assert.equal(textToBase64(text), Buffer.from(text, 'utf8').toString('base64'));
    }
  });

  it('encodes bytes larger than one chunk, every byte value', () => {
    const bytes = new Uint8Array(100_000).map((_, index) => (index * 7) % 256);
    assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString('base64'));
  });
});
