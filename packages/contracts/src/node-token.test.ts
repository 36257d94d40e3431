import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveNodeToken, verifyNodeToken } from './node-token.ts';

const secret = 'x'.repeat(32);

describe('node tokens', () => {
  it("verify for their own node and generation only", () => {
    const token = deriveNodeToken(secret, 'node-a');
    assert.equal(verifyNodeToken(secret, 'node-a', 0, token), true);
    assert.equal(verifyNodeToken(secret, 'node-b', 0, token), false, "node A's token is not node B's");
    assert.equal(verifyNodeToken(secret, 'node-a', 1, token), false, 'a rotated node refuses its old token');
    assert.equal(verifyNodeToken('y'.repeat(32), 'node-a', 0, token), false, 'another secret, another token');
    assert.equal(verifyNodeToken(secret, 'node-a', 1, deriveNodeToken(secret, 'node-a', 1)), true);
  });

  it('refuse malformed tokens', () => {
    for (const token of ['', 'abc', `0.${'A'.repeat(42)}`, `-1.${deriveNodeToken(secret, 'node-a').slice(2)}`]) {
      assert.equal(verifyNodeToken(secret, 'node-a', 0, token), false, token);
    }
  });
});
