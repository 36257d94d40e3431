import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardRefusal } from './ssh-forward.ts';

// Where `ssh -L` may go: the instance itself under any of its names, never its engine API,
// never another address.

const instance = { id: 'abcdefghijklmnopqrstuvwxyz', hostname: 'node1', ip: '10.1.0.2' };

describe('forwardRefusal', () => {
  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '10.1.0.2', 'node1', instance.id]) {
    it(`lets ${host}:8080 through to the instance`, () => {
      assert.equal(forwardRefusal(host, 8080, instance), null);
    });
  }

  for (const host of ['10.1.0.3', '127.0.0.2', 'node2', 'example.com', '169.254.169.254', '']) {
    it(`refuses ${host || 'an empty host'}, naming the instance`, () => {
      assert.match(forwardRefusal(host, 80, instance) ?? '', /reaches only node1 itself/);
    });
  }

  for (const port of [2375, 2376]) {
    it(`refuses the engine API port ${port}`, () => {
      assert.match(forwardRefusal('localhost', port, instance) ?? '', /Docker engine API of node1/);
    });
  }

  for (const port of [0, 65536, 1.5]) {
    it(`refuses ${port}, which is no TCP port`, () => {
      assert.match(forwardRefusal('localhost', port, instance) ?? '', /not a TCP port/);
    });
  }
});
