import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodePortHost,
  decodePortPath,
  decodePortTunnelPath,
  defaultPortsDomain,
  encodePortHost,
  encodePortPath,
  encodePortTunnelPath,
  matchPortRequest,
  PORT_TUNNEL_PREFIX,
} from './port-host.ts';

const id = 'abcdefghijklmnopqrstuvwxyz';

describe('port host codec', () => {
  const hosts: Array<[string | undefined, string, ReturnType<typeof decodePortHost>]> = [
    [`${id}-8080.localhost`, 'localhost', { instanceId: id, port: 8080 }],
    [`${id}-8080.localhost:3000`, 'localhost', { instanceId: id, port: 8080 }],
    [`${id.toUpperCase()}-80.Play.Example.COM`, 'play.example.com', { instanceId: id, port: 80 }],
    [`${id}-65535.ports.example.com.`, 'ports.example.com', { instanceId: id, port: 65535 }],
    [`${id}-65536.localhost`, 'localhost', null],
    [`${id}-0.localhost`, 'localhost', null],
    [`${id}-080.localhost`, 'localhost', null],
    [`${id}-8080.evil.com`, 'localhost', null],
    [`${id}-8080.notlocalhost`, 'localhost', null],
    [`x.${id}-8080.localhost`, 'localhost', null],
    [`short-8080.localhost`, 'localhost', null],
    ['localhost:3000', 'localhost', null],
    [undefined, 'localhost', null],
  ];
  for (const [host, domain, expected] of hosts) {
    it(`decodes ${host} under ${domain}`, () => assert.deepEqual(decodePortHost(host, domain), expected));
  }

  it('defaults the ports domain to a subdomain of its own under the public host', () => {
    assert.equal(defaultPortsDomain('localhost'), 'ports.localhost');
    assert.equal(defaultPortsDomain('Play.Example.com.'), 'ports.play.example.com');
    // A port host of the default domain is never decoded under the app's own host alone.
    assert.equal(decodePortHost(`${id}-80.localhost`, defaultPortsDomain('localhost')), null);
    assert.deepEqual(decodePortHost(`${id}-80.ports.localhost:8080`, defaultPortsDomain('localhost')), { instanceId: id, port: 80 });
  });

  it('round-trips host form, omitting :80', () => {
    assert.equal(encodePortHost({ instanceId: id, port: 3000 }, 'localhost', 8080), `${id}-3000.localhost:8080`);
    assert.equal(encodePortHost({ instanceId: id, port: 3000 }, 'play.example.com', 80), `${id}-3000.play.example.com`);
    assert.deepEqual(decodePortHost(encodePortHost({ instanceId: id, port: 3000 }, 'localhost', 8080), 'localhost'), {
      instanceId: id,
      port: 3000,
    });
  });

  const paths: Array<[string, ReturnType<typeof decodePortPath>]> = [
    [`/ports/${id}/8080/`, { instanceId: id, port: 8080, forwardPath: '/' }],
    [`/ports/${id}/8080`, { instanceId: id, port: 8080, forwardPath: '/' }],
    [`/ports/${id}/8080/a/b?c=d`, { instanceId: id, port: 8080, forwardPath: '/a/b?c=d' }],
    [`/ports/${id}/8080?c=d`, { instanceId: id, port: 8080, forwardPath: '/?c=d' }],
    [`/ports/${id}/99999/`, null],
    [`/ports/${id}x/80/`, null],
    [`/api/v1/ports/${id}/80/`, null],
  ];
  for (const [path, expected] of paths) {
    it(`decodes path ${path}`, () => assert.deepEqual(decodePortPath(path), expected));
  }

  it('encodes the path form', () => assert.equal(encodePortPath({ instanceId: id, port: 80 }), `/ports/${id}/80/`));
});

describe('matching a request to a port, and the tunnel path that carries the decision', () => {
  const domains = ['direct.localhost', 'ports.localhost'];
  const cases: Array<[string | undefined, string, ReturnType<typeof matchPortRequest>]> = [
    [`${id}-8080.ports.localhost:8080`, '/api/v1/x?y=1', { instanceId: id, port: 8080, form: 'host', forwardPath: '/api/v1/x?y=1', bare: false }],
    [`${id}-80.direct.localhost`, '/', { instanceId: id, port: 80, form: 'host', forwardPath: '/', bare: false }],
    ['localhost:8080', `/ports/${id}/3000/a/b?c`, { instanceId: id, port: 3000, form: 'path', forwardPath: '/a/b?c', bare: false }],
    ['localhost:8080', `/ports/${id}/3000?c`, { instanceId: id, port: 3000, form: 'path', forwardPath: '/?c', bare: true }],
    // The host form wins: a learner's app may serve /ports/ itself.
    [`${id}-81.ports.localhost`, `/ports/${id}/3000/`, { instanceId: id, port: 81, form: 'host', forwardPath: `/ports/${id}/3000/`, bare: false }],
    ['localhost:8080', `/ports/${id}/0/`, null],
    ['localhost:8080', '/api/v1/sessions', null],
    [`${id}-8080.elsewhere.localhost`, '/', null],
  ];
  for (const [host, url, expected] of cases) {
    it(`${host} ${url}`, () => {
      const route = matchPortRequest(host, url, domains);
      assert.deepEqual(route, expected);
      if (route) assert.deepEqual(decodePortTunnelPath(encodePortTunnelPath(route)), route, 'the tunnel path carries the route unchanged');
    });
  }

  it('decodes only well-formed tunnel paths', () => {
    for (const url of [undefined, '/', `${PORT_TUNNEL_PREFIX}host/${id}/8080`, `${PORT_TUNNEL_PREFIX}other/${id}/8080/`, `${PORT_TUNNEL_PREFIX}host/${id}/99999/`, `/x${PORT_TUNNEL_PREFIX}host/${id}/80/`]) {
      assert.equal(decodePortTunnelPath(url), null, String(url));
    }
  });
});
