import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES as AGENT_VARIABLES } from '../../apps/node-agent/src/config.ts';
import { CONFIG_VARIABLES as ORCHESTRATOR_VARIABLES } from '../../apps/orchestrator/src/config.ts';
import { CONFIG_VARIABLES as WEB_VARIABLES } from '../../apps/web/src/config.ts';
import { composeEnv } from './make-env.ts';

// The compose file agrees with the apps and with make-env.ts (test/deploy/compose.test.ts runs it).

const text = readFileSync(new URL('./docker-compose.yml', import.meta.url), 'utf8');
const file = parseYaml(text, { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; user?: string; userns_mode?: string; network_mode?: string; volumes?: string[] }>;
};

describe('infra/compose/docker-compose.yml', () => {
  it('gives each app only variables its config.ts reads', () => {
    const apps = { orchestrator: ORCHESTRATOR_VARIABLES, agent: AGENT_VARIABLES, web: WEB_VARIABLES, migrate: ['DATABASE_URL'] };
    for (const [service, variables] of Object.entries(apps)) {
      const environment = Object.keys(file.services[service]?.environment ?? {});
      assert.ok(environment.length > 0, `${service} has an environment`);
      for (const name of environment) if (name !== 'HOME') assert.ok(variables.includes(name), `${service}: ${name} is read by its config`);
    }
    assert.ok(!('AGENT_SECRET' in (file.services.agent?.environment ?? {})), 'the agent never gets AGENT_SECRET');
    assert.ok(!('DATABASE_URL' in (file.services.agent?.environment ?? {})), 'the agent never gets the database');
  });

  it('needs exactly what make-env.ts writes', () => {
    const required = new Set([...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((match) => match[1]!));
    const written = new Set(Object.keys(composeEnv({ publicUrl: 'https://play.example.com', tls: 'acme', acmeEmail: 'ops@example.com' })));
    for (const name of required) assert.ok(written.has(name), `make-env.ts writes ${name}`);
    const used = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((match) => match[1]!));
    for (const name of written) assert.ok(used.has(name), `the compose file uses ${name}`);
  });

  it('runs the Node processes unprivileged, and only the agent with the Docker socket', () => {
    for (const service of ['orchestrator', 'web', 'migrate']) assert.equal(file.services[service]?.user, '10001:10001', `${service} runs as uid 10001`);
    const withSocket = Object.entries(file.services)
      .filter(([, service]) => (service.volumes ?? []).some((volume) => volume.startsWith('/var/run/docker.sock')))
      .map(([name]) => name);
    assert.deepEqual(withSocket, ['agent']);
    for (const [name, service] of Object.entries(file.services)) {
      if (service.network_mode === 'host') assert.equal(service.userns_mode, 'host', `${name}: the host network needs the host's user namespace under userns-remap`);
    }
  });
});
