import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createClientAddressResolver, trustedProxyProblem } from './client-address.ts';
import { parseConfig } from './config.ts';

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

  // Web edges in pods: any address of the pod range is a trusted proxy, none outside it.
  const inRange = createClientAddressResolver(['10.244.0.0/16', 'fd00:10::/64']);
  const rangeCases: Array<[string, string, string]> = [
    ['10.244.7.12', '198.51.100.4', '198.51.100.4'],
    ['::ffff:10.244.200.1', '198.51.100.5', '198.51.100.5'],
    ['10.245.0.1', '198.51.100.6', '10.245.0.1'], // outside the range: its header is ignored
    ['fd00:10::8', '198.51.100.7', '198.51.100.7'],
    ['10.244.0.9', '198.51.100.8, 10.244.3.3', '198.51.100.8'], // a second pod hop is skipped
  ];
  for (const [peer, xff, expected] of rangeCases) {
    it(`range: ${peer} with X-Forwarded-For ${xff} → ${expected}`, () => assert.equal(inRange(req(peer, xff)), expected));
  }

  it('names entries that are neither an address nor a range', () => {
    assert.equal(trustedProxyProblem('10.0.0.5'), undefined);
    assert.equal(trustedProxyProblem('10.244.0.0/16'), undefined);
    assert.equal(trustedProxyProblem('fd00::/8'), undefined);
    assert.match(trustedProxyProblem('web.internal') ?? '', /not an IP address/);
    assert.match(trustedProxyProblem('10.0.0.0/33') ?? '', /prefix length/);
    assert.match(trustedProxyProblem('10.0.0.0/x') ?? '', /prefix length/);
    // The orchestrator refuses to start on such an entry rather than trust nobody in silence.
    const env = { AGENT_SECRET: 'a'.repeat(32), ADMIN_TOKEN: 'b'.repeat(16) };
    assert.deepEqual(parseConfig({ ...env, TRUSTED_PROXY: '10.0.0.5, 10.244.0.0/16' }).TRUSTED_PROXY, ['10.0.0.5', '10.244.0.0/16']);
    assert.throws(() => parseConfig({ ...env, TRUSTED_PROXY: '10.0.0.5,web.internal' }), /TRUSTED_PROXY: "web.internal" is not an IP address/);
  });
});
