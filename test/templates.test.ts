import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionView, TemplateView } from '@playground/contracts';
import { startTestStack, type TestStack } from './support/test-stack.ts';
import { eventually } from './support/eventually.ts';

// Session templates across the real stack: a session asked for with a template comes with its
// instances, set up as the template says (a Swarm already formed), through the public API.

describe('session templates', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack('templates', { env: { MAX_INSTANCES_PER_SESSION: '5' }, capacity: 12 });
  });
  after(async () => stack?.teardown());

  const exec = async (sessionId: string, instanceId: string, script: string) => {
    const answer = await stack.api<{ exitCode: number; output: string }>('POST', `/api/v1/sessions/${sessionId}/instances/${instanceId}/exec`, { script });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const runningInstances = (sessionId: string, count: number) =>
    eventually(
      async () => {
        const session = await stack.api<SessionView>('GET', `/api/v1/sessions/${sessionId}`);
        const running = session.body.instances.filter((instance) => instance.status === 'running');
        return running.length === count ? running : undefined;
      },
      { timeoutMs: 240_000, description: `${count} running instances` },
    );

  it('lists the shipped templates; an unknown one is a 400 that names the known ones', async () => {
    const listed = await stack.api<{ templates: TemplateView[] }>('GET', '/api/v1/templates');
    assert.deepEqual(listed.body.templates.map((template) => template.id), ['single', 'swarm-3-2', 'two-hosts']);
    const unknown = await stack.api<{ error: { code: string; message: string } }>('POST', '/api/v1/sessions', { template: 'kubernetes' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /"kubernetes".*single, swarm-3-2, two-hosts/);
  });

  it('swarm-3-2: five hosts, and `docker node ls` on a manager lists all five in one Swarm', async () => {
    const created = await stack.api<SessionView>('POST', '/api/v1/sessions', { template: 'swarm-3-2' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const instances = await runningInstances(created.body.id, 5);
    assert.deepEqual(instances.map((instance) => instance.hostname).sort(), ['manager1', 'manager2', 'manager3', 'worker1', 'worker2']);
    const manager = instances.find((instance) => instance.hostname === 'manager2')!;
    const nodes = await eventually(
      async () => {
        const { output } = await exec(created.body.id, manager.id, 'docker node ls --format "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"');
        const lines = output.trim().split('\n').filter(Boolean);
        return lines.length === 5 && lines.every((line) => line.includes('Ready')) ? lines : undefined;
      },
      { timeoutMs: 120_000, description: 'five Ready nodes in the Swarm' },
    );
    assert.equal(nodes.filter((line) => /Leader|Reachable/.test(line)).length, 3, nodes.join('\n'));
  });

  it('two-hosts: node1 and node2 reach each other by name', async () => {
    const created = await stack.api<SessionView>('POST', '/api/v1/sessions', { template: 'two-hosts' });
    const instances = await runningInstances(created.body.id, 2);
    const node1 = instances.find((instance) => instance.hostname === 'node1')!;
    assert.equal((await exec(created.body.id, node1.id, 'ping -c 1 -W 2 node2 >/dev/null && echo reached')).output.trim(), 'reached');
  });
});
