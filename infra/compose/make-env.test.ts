import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyNodeToken } from '@playground/contracts/node-token';
import { composeEnv, envFileText } from './make-env.ts';

describe('the Compose deployment .env (make-env.ts)', () => {
  it('derives the port hosts and Caddy sites from the public URL', () => {
    const env = composeEnv({ publicUrl: 'https://play.example.com', tls: 'acme', acmeEmail: 'ops@example.com' });
    assert.equal(env.PUBLIC_URL, 'https://play.example.com');
    assert.equal(env.PORTS_DOMAIN, 'ports.play.example.com');
    assert.equal(env.CADDY_SITE, 'https://play.example.com');
    assert.equal(env.CADDY_PORTS_SITE, 'https://*.ports.play.example.com');
    const local = composeEnv({ publicUrl: 'http://localhost:18080', tls: 'off' });
    assert.equal(local.CADDY_PORTS_SITE, 'http://*.ports.localhost:18080');
  });

  it("gives the agent its own node's token, never AGENT_SECRET, and fresh secrets each time", () => {
    const a = composeEnv({ publicUrl: 'http://localhost:8080', tls: 'off', nodeId: 'edge-1' });
    const b = composeEnv({ publicUrl: 'http://localhost:8080', tls: 'off', nodeId: 'edge-1' });
    assert.equal(verifyNodeToken(a.AGENT_SECRET!, 'edge-1', 0, a.AGENT_TOKEN!), true);
    assert.equal(verifyNodeToken(a.AGENT_SECRET!, 'node-1', 0, a.AGENT_TOKEN!), false, 'the token is bound to its node id');
    for (const key of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'ADMIN_TOKEN', 'AGENT_SECRET', 'AUTH_SECRET']) {
      assert.notEqual(a[key], b[key], `${key} is new each time`);
      assert.ok(a[key]!.length >= 32, `${key} is long enough for the apps' minimums`);
    }
    assert.match(envFileText(a), /^AGENT_TOKEN=0\.[A-Za-z0-9_-]{43}$/m);
  });

  it('refuses addresses and TLS modes that do not fit together', () => {
    assert.throws(() => composeEnv({ publicUrl: 'http://play.example.com', tls: 'acme', acmeEmail: 'a@b.c' }), /needs an https/);
    assert.throws(() => composeEnv({ publicUrl: 'https://play.example.com', tls: 'off' }), /needs an http/);
    assert.throws(() => composeEnv({ publicUrl: 'https://play.example.com', tls: 'acme' }), /--email/);
    assert.throws(() => composeEnv({ publicUrl: 'https://play.example.com/app', tls: 'internal' }), /origin/);
  });
});
