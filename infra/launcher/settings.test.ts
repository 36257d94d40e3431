import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_VARIABLES as AGENT_VARIABLES } from '../../apps/node-agent/src/config.ts';
import { CONFIG_VARIABLES as ORCHESTRATOR_VARIABLES } from '../../apps/orchestrator/src/config.ts';
import { CONFIG_VARIABLES as WEB_VARIABLES } from '../../apps/web/src/config.ts';
import { DOCUMENTED_VARIABLES, LAUNCHER_HANDLED, LAUNCHER_OWNED, LauncherSettingError, settingsFromEnvironment } from './settings.ts';

test('every variable of every config.ts reaches its process under npm start, or is the launcher\'s own', () => {
  const env = Object.fromEntries([...DOCUMENTED_VARIABLES].filter((name) => !(name in LAUNCHER_OWNED)).map((name) => [name, `value-of-${name}`]));
  const settings = settingsFromEnvironment(env);
  for (const [app, variables] of [['orchestrator', ORCHESTRATOR_VARIABLES], ['node-agent', AGENT_VARIABLES], ['web', WEB_VARIABLES]] as const) {
    assert.ok(variables.length > 5, `${app} documents its variables`);
    for (const name of variables) {
      if (LAUNCHER_HANDLED.has(name) || name in LAUNCHER_OWNED) continue;
      assert.equal(settings[name], `value-of-${name}`, `${app}'s ${name} must reach it`);
    }
  }
  for (const known of ['TRUSTED_PROXY', 'INSTANCE_CREATE_TIMEOUT_MS', 'JOB_CONCURRENCY', 'HEARTBEAT_INTERVAL_MS', 'SECURITY_MODE', 'TRUST_PROXY']) {
    assert.equal(settings[known], `value-of-${known}`, `${known} was once silently dropped`);
  }
});

test('a variable the launcher decides itself is refused with the reason, not ignored', () => {
  assert.throws(() => settingsFromEnvironment({ NODE_ID: 'mine', ORCHESTRATOR_URL: 'http://x' }), (err: unknown) => {
    assert.ok(err instanceof LauncherSettingError);
    assert.match(err.message, /NODE_ID: npm start names its nodes/);
    assert.match(err.message, /ORCHESTRATOR_URL/);
    return true;
  });
  assert.deepEqual(settingsFromEnvironment({ UNRELATED: 'x', PATH: '/bin' }), {});
});
