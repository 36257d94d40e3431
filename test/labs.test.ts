import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { instanceContainerName, type InstanceView, type SessionView } from '@playground/contracts';
import { loadLabs, type Lab } from '@playground/labs';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// Every shipped lab, run to completion in real instances the way a learner would: its template
// is created through the public API, then for each step the check must fail first (a check
// that passes before the step proves nothing), the step's own blocks run in the instance they
// name, and the check must pass.

interface Outcome {
  code: number;
  output: string;
}

const BLOCK_TIMEOUT_MS = 180_000;

/** Runs a script in an instance as its terminal would: bash, as root, in /root. */
function runInInstance(container: string, script: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['exec', '-i', '-w', '/root', '-e', 'HOME=/root', container, 'bash', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
    child.stdin.end(script);
  });
}

/** The template's files and setup scripts, written and run before the learner starts. */
async function prepareTemplate(lab: Lab, containers: Map<string, string>): Promise<void> {
  for (const instance of lab.template.instances) {
    const container = containers.get(instance.hostname)!;
    for (const file of instance.files) {
      const write = `mkdir -p "$(dirname '${file.path}')" && cat > '${file.path}' && chmod ${file.mode ?? '0644'} '${file.path}'`;
      const result = await new Promise<Outcome>((resolve, reject) => {
        const child = spawn('docker', ['exec', '-i', container, 'sh', '-c', write]);
        let output = '';
        child.stderr.on('data', (chunk: Buffer) => (output += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, output }));
        child.stdin.end(file.content);
      });
      assert.equal(result.code, 0, `${lab.file}: writing ${file.path} in ${instance.hostname} failed: ${result.output}`);
    }
    if (instance.setup) {
      const result = await runInInstance(container, instance.setup);
      assert.equal(result.code, 0, `${lab.file}: setup of ${instance.hostname} failed:\n${result.output}`);
    }
  }
}

// Several labs at once, each in a session of its own (separate instances and networks, as
// several learners on one node): the labs wait on Docker inside their instances much of the
// time, so three side by side took about two thirds of the time of one after another.
const LABS_AT_ONCE = 3;
const labs = await loadLabs();

/** A learner doing `lab` from start to finish in a session of their own. */
async function runLab(stack: TestStack, lab: Lab): Promise<void> {
  const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
  assert.equal(session.status, 201, JSON.stringify(session.body));
  const containers = new Map<string, string>();
  for (const instance of lab.template.instances) {
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`, { hostname: instance.hostname });
    assert.equal(created.status, 201, `${lab.file}: ${JSON.stringify(created.body)}`);
    containers.set(instance.hostname, instanceContainerName(created.body.id));
  }
  await prepareTemplate(lab, containers);

  for (const step of lab.steps) {
    const where = `${lab.file}:${step.line} "${step.title}"`;
    if (step.check) {
      const before = await runInInstance(containers.get(step.check.instance)!, step.check.script);
      assert.notEqual(before.code, 0, `${where}: the check passes before the step ran, so it proves nothing`);
    }
    for (const block of step.blocks) {
      const result = await runInInstance(containers.get(block.instance)!, `set -e\n${block.code}`);
      assert.equal(result.code, 0, `${lab.file}:${block.line}: block ${block.id} failed in ${block.instance}:\n${result.output}`);
    }
    if (step.check) {
      const afterStep = await runInInstance(containers.get(step.check.instance)!, step.check.script);
      assert.equal(afterStep.code, 0, `${where}: the check fails after the step's blocks ran:\n${afterStep.output}`);
    }
  }
  const closed = await stack.api('DELETE', `/api/v1/sessions/${session.body.id}`);
  assert.ok(closed.status < 300, `${lab.file}: closing the session answered ${closed.status}`);
}

describe('shipped labs run to completion in real instances', { timeout: 30 * 60_000, concurrency: LABS_AT_ONCE }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack('labs', { env: { MAX_INSTANCES_PER_SESSION: '5' } });
  });
  after(async () => stack?.teardown());

  it('ships every lab in English and in Korean', () => {
    const slugs = (language: string) => labs.filter((lab) => lab.language === language).map((lab) => lab.slug).sort();
    assert.ok(slugs('en').length >= 5, `five starter labs, found ${slugs('en').join(', ')}`);
    assert.deepEqual(slugs('ko'), slugs('en'));
    for (const lab of labs) assert.ok(lab.steps.every((step) => step.check), `${lab.file}: every step of a starter lab has a check`);
  });

  for (const lab of labs) {
    it(`${lab.language}/${lab.slug}: every check fails before its step and passes after the step's own blocks`, () => runLab(stack, lab));
  }
});
