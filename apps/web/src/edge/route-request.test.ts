import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PORT_TUNNEL_PREFIX, portHostDomains } from '@playground/contracts';
import { routeRequest, wantsJson, type EdgeRoute } from './route-request.ts';

const ID = 'abcdefghijklmnopqrstuvwxyz';

/** `next`, `orchestrator`, or the port tunnel's path for a port. */
function routeName(route: EdgeRoute): string {
  return route.to === 'port' ? route.tunnelPath : route.to;
}

test('routeRequest sends each host and path to its owner; ports go to the tunnel with the decision in the path', () => {
  const cases: Array<[string | undefined, string, string, string]> = [
    ['localhost:8080', '/', 'localhost', 'next'],
    ['localhost:8080', '/p/xyz', 'localhost', 'next'],
    ['localhost:8080', '/_next/static/chunks/a.js', 'localhost', 'next'],
    ['localhost:8080', '/apix', 'localhost', 'next'],
    ['localhost:8080', '/api/v1/sessions', 'localhost', 'orchestrator'],
    ['localhost:8080', '/api', 'localhost', 'orchestrator'],
    ['localhost:8080', '/socket.io/?EIO=4&transport=websocket', 'localhost', 'orchestrator'],
    ['localhost:8080', `/ports/${ID}/80/`, 'localhost', `${PORT_TUNNEL_PREFIX}path/${ID}/80/`],
    ['localhost:8080', `/ports/${ID}/80`, 'localhost', `${PORT_TUNNEL_PREFIX}path-bare/${ID}/80/`],
    ['localhost:8080', '/ports/nothing', 'localhost', 'orchestrator'],
    ['localhost:8080', `${PORT_TUNNEL_PREFIX}host/${ID}/80/`, 'localhost', 'next'],
    [`${ID}-80.localhost:8080`, '/', 'localhost', `${PORT_TUNNEL_PREFIX}host/${ID}/80/`],
    [`${ID}-8080.localhost`, '/api/v1/sessions', 'localhost', `${PORT_TUNNEL_PREFIX}host/${ID}/8080/api/v1/sessions`],
    [`${ID}-3000.LOCALHOST:8080`, '/socket.io/?EIO=4', 'localhost', `${PORT_TUNNEL_PREFIX}host/${ID}/3000/socket.io/?EIO=4`],
    [`${ID}-3000.play.example.com`, '/_next/x', 'play.example.com', `${PORT_TUNNEL_PREFIX}host/${ID}/3000/_next/x`],
    [`${ID}-3000.other.com`, '/', 'play.example.com', 'next'],
    [`${ID}-0.localhost`, '/', 'localhost', 'next'],
    [`${ID}-70000.localhost`, '/', 'localhost', 'next'],
    [undefined, '/', 'localhost', 'next'],
  ];
  for (const [host, url, domain, want] of cases) {
    assert.equal(routeName(routeRequest({ host, url, method: 'GET' }, [domain])), want, `${host} ${url}`);
  }
});

test("Play with Docker's front door reaches the orchestrator: POST /, its preflight, /sessions/…, and direct port hosts", () => {
  const domains = portHostDomains('ports.localhost', 'localhost');
  const route = (method: string, url: string, host = 'localhost:8080') => routeName(routeRequest({ host, url, method }, domains));
  assert.equal(route('POST', '/'), 'orchestrator');
  assert.equal(route('OPTIONS', '/'), 'orchestrator');
  assert.equal(route('GET', '/'), 'next', 'the landing page stays a page');
  assert.equal(route('GET', '/sessions/abc'), 'orchestrator');
  assert.equal(route('GET', '/sessions/abc/ws/'), 'orchestrator');
  assert.equal(route('GET', '/', `${ID}-8080.direct.localhost:8080`), `${PORT_TUNNEL_PREFIX}host/${ID}/8080/`);
  assert.equal(route('GET', '/', `${ID}-8080.ports.localhost:8080`), `${PORT_TUNNEL_PREFIX}host/${ID}/8080/`);
  assert.equal(route('GET', '/', `${ID}-8080.elsewhere.localhost:8080`), 'next');
});

test('wantsJson is true for API and socket paths only', () => {
  assert.equal(wantsJson('/api/v1/sessions'), true);
  assert.equal(wantsJson('/socket.io/?EIO=4'), true);
  assert.equal(wantsJson('/'), false);
  assert.equal(wantsJson('/ports/x/80/'), false);
});
