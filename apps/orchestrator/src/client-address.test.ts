import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createClientAddressResolver } from './client-address.ts';

const req = (peer: string, xff?: string) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('client address', () => {
  const resolve = createClientAddressResolver(['10.0.0.5']);
  const cases: Array<[string, string | undefined, string]> = [
    ['203.0.113.9', '1.2.3.4', '203.0.113.9'], // untrusted peer: its header is ignored
    ['127.0.0.1', '198.51.100.1', '198.51.100.1'], // the web app on this host
    ['::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['::1', undefined, '::1'],
    ['10.0.0.5', '6.6.6.6, 198.51.100.2', '198.51.100.2'], // a spoofed left entry does not count
    ['127.0.0.1', '198.51.100.3, 10.0.0.5', '198.51.100.3'], // trusted hops are skipped
  ];
  for (const [peer, xff, expected] of cases) {
    it(`${peer} with X-Forwarded-For ${xff ?? '(none)'} → ${expected}`, () => assert.equal(resolve(req(peer, xff)), expected));
  }
});
