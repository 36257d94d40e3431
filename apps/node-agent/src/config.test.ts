import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('defaults apply; AGENT_TOKEN is required', () => {
  const c = loadConfig({ AGENT_TOKEN: 's3cret' });
  assert.equal(c.NODE_ID, 'node-1');
  assert.equal(c.SECURITY_MODE, 'userns');
  assert.equal(c.TERMINAL_WINDOW_BYTES, 262144);
  assert.ok(c.CAPACITY_MEMORY_MB > 0);
  assert.throws(() => loadConfig({}), /AGENT_TOKEN/);
});

test('runtime mode needs OCI_RUNTIME; bad values are refused with their names', () => {
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', SECURITY_MODE: 'runtime' }), /OCI_RUNTIME/);
  assert.equal(loadConfig({ AGENT_TOKEN: 'x', SECURITY_MODE: 'runtime', OCI_RUNTIME: 'sysbox-runc' }).OCI_RUNTIME, 'sysbox-runc');
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', DOCKER_HOST: 'http://x' }), /DOCKER_HOST/);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', NODE_ID: 'Bad_Id' }), /NODE_ID/);
  assert.equal(loadConfig({ AGENT_TOKEN: 'x', DOCKER_HOST: 'tcp://10.0.0.2:2375' }).DOCKER_HOST, 'tcp://10.0.0.2:2375');
});

test('ORCHESTRATOR_URL is one URL or several replicas, comma-separated; anything else is refused', () => {
  assert.deepEqual(loadConfig({ AGENT_TOKEN: 'x' }).ORCHESTRATOR_URL, ['http://127.0.0.1:4000']);
  assert.deepEqual(loadConfig({ AGENT_TOKEN: 'x', ORCHESTRATOR_URL: 'https://play.example.com' }).ORCHESTRATOR_URL, ['https://play.example.com']);
  assert.deepEqual(loadConfig({ AGENT_TOKEN: 'x', ORCHESTRATOR_URL: 'http://10.0.0.5:4000, http://10.0.0.6:4000' }).ORCHESTRATOR_URL, [
    'http://10.0.0.5:4000',
    'http://10.0.0.6:4000',
  ]);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', ORCHESTRATOR_URL: 'http://10.0.0.5:4000,not a url' }), /ORCHESTRATOR_URL/);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', ORCHESTRATOR_URL: 'ftp://10.0.0.5' }), /ORCHESTRATOR_URL/);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', ORCHESTRATOR_URL: ' , ' }), /ORCHESTRATOR_URL/);
});

test('the warm pool defaults to 2 members; 0 disables it; negatives are refused', () => {
  assert.equal(loadConfig({ AGENT_TOKEN: 'x' }).WARM_POOL_SIZE, 2);
  assert.equal(loadConfig({ AGENT_TOKEN: 'x', WARM_POOL_SIZE: '0' }).WARM_POOL_SIZE, 0);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', WARM_POOL_SIZE: '-1' }), /WARM_POOL_SIZE/);
});

test('CPU abuse: 90 % for 5 then 10 minutes by default; fractional minutes work; the warning must come first', () => {
  const c = loadConfig({ AGENT_TOKEN: 'x' });
  assert.deepEqual([c.CPU_ABUSE_THRESHOLD, c.CPU_ABUSE_WARN_MINUTES, c.CPU_ABUSE_STOP_MINUTES], [0.9, 5, 10]);
  assert.equal(loadConfig({ AGENT_TOKEN: 'x', CPU_ABUSE_WARN_MINUTES: '0.05', CPU_ABUSE_STOP_MINUTES: '0.1' }).CPU_ABUSE_STOP_MINUTES, 0.1);
  assert.equal(loadConfig({ AGENT_TOKEN: 'x', CPU_ABUSE_WARN_MINUTES: '0', CPU_ABUSE_STOP_MINUTES: '0' }).CPU_ABUSE_STOP_MINUTES, 0);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', CPU_ABUSE_WARN_MINUTES: '10', CPU_ABUSE_STOP_MINUTES: '5' }), /CPU_ABUSE_WARN_MINUTES/);
  assert.throws(() => loadConfig({ AGENT_TOKEN: 'x', CPU_ABUSE_THRESHOLD: '1.5' }), /CPU_ABUSE_THRESHOLD/);
});
