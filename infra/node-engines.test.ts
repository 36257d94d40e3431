import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeEngineDockerHost, nodeEngineSocket } from './node-engines.ts';

// The extra engines' socket path comes from infra/node-engines.sh alone; TypeScript asks it.

test('each extra node has its own engine socket, as the script makes it', () => {
  const sockets = [2, 3, 8].map(nodeEngineSocket);
  assert.equal(new Set(sockets).size, 3);
  for (const [i, k] of [2, 3, 8].entries()) {
    assert.match(sockets[i]!, new RegExp(`/node-${k}/docker\\.sock$`));
    assert.equal(nodeEngineDockerHost(k), `unix://${sockets[i]}`);
  }
});

test('node 1 (the machine engine) and nodes beyond the range have no extra engine', () => {
  assert.throws(() => nodeEngineDockerHost(1), /docker-host K \(K = 2\.\.8\)/);
  assert.throws(() => nodeEngineDockerHost(9), /docker-host K/);
});
