import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { guardPathFormRequest, guardPathFormResponse, isServiceWorkerFetch, PATH_FORM_CSP, portRefusal } from './port-guard.ts';

describe('port guard', () => {
  it('the path-form policy sandboxes without allow-same-origin', () => {
    assert.match(PATH_FORM_CSP, /^sandbox /);
    assert.doesNotMatch(PATH_FORM_CSP, /allow-same-origin|allow-top-navigation|allow-popups-to-escape-sandbox/);
  });

  it('strips cookies, service worker scope and Clear-Site-Data; keeps the upstream policy beside ours', () => {
    const headers: IncomingHttpHeaders = {
      'content-type': 'text/html',
      'set-cookie': ['a=1', 'b=2; Domain=localhost'],
      'service-worker-allowed': '/',
      'clear-site-data': '"*"',
      'content-security-policy': "default-src 'self'",
    };
    guardPathFormResponse(headers);
    assert.deepEqual(headers, { 'content-type': 'text/html', 'content-security-policy': `${PATH_FORM_CSP}, default-src 'self'` });
    const bare: IncomingHttpHeaders = {};
    guardPathFormResponse(bare);
    assert.deepEqual(bare, { 'content-security-policy': PATH_FORM_CSP });
  });

  it("drops the app's cookies from requests to the learner", () => {
    const headers: IncomingHttpHeaders = { cookie: 'app=secret', accept: '*/*' };
    guardPathFormRequest(headers);
    assert.deepEqual(headers, { accept: '*/*' });
  });

  it('recognises service worker script fetches', () => {
    assert.equal(isServiceWorkerFetch({ 'service-worker': 'script' }), true);
    assert.equal(isServiceWorkerFetch({}), false);
  });

  const cases: Array<[number, number[], string | null]> = [
    [8080, [80, 8080], null],
    [3000, [80, 8080], 'port_not_listening'],
    [3000, [], 'port_not_listening'],
    [2375, [2375, 8080], 'port_forbidden'],
    [2376, [2376], 'port_forbidden'],
    [2375, [], 'port_forbidden'],
  ];
  for (const [port, listening, code] of cases) {
    it(`port ${port} with [${listening.join(',')}] listening → ${code ?? 'proxied'}`, () => {
      assert.equal(portRefusal(port, listening, 'node1')?.code ?? null, code);
    });
  }
});
