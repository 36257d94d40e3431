import assert from 'node:assert/strict';
import { it } from 'node:test';
import { frameAncestorsFor } from './frame-ancestors.ts';

it('lets only EMBED_ORIGINS frame the embed pages, and nobody else frame the rest', () => {
  const listed = { any: false, origins: ['https://docs.example.com'] };
  assert.equal(frameAncestorsFor('/embed/labs/x', listed), "frame-ancestors 'self' https://docs.example.com");
  assert.equal(frameAncestorsFor('/embed/terminal?session=a', { any: true, origins: [] }), 'frame-ancestors *');
  assert.equal(frameAncestorsFor('/embed/terminal', { any: false, origins: [] }), "frame-ancestors 'self'");
  assert.equal(frameAncestorsFor('/p/abc', { any: true, origins: [] }), "frame-ancestors 'self'");
  assert.equal(frameAncestorsFor('/embedded', listed), "frame-ancestors 'self'");
});
