import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findLab, labFrontMatterJsonSchema, LabFormatError, loadLabs, parseLab } from '../src/index.ts';

const GOOD = `---
title: Two hosts
description: Ping one host from the other.
language: en
duration: 10
template:
  instances:
    - hostname: node1
      setup: echo ready > /root/ready
      files:
        - path: /root/notes.txt
          content: hello
    - hostname: node2
---

Welcome to the lab.

## Find your address

Read it on node2:

\`\`\`sh instance=node2
hostname -i
\`\`\`

\`\`\`yaml
not: runnable
\`\`\`

\`\`\`sh norun
shown but not clickable
\`\`\`

\`\`\`sh check instance=node2
test -n "$(hostname -i)"
\`\`\`

> [!TIP]
> Run the block on **node2**.

> An ordinary quote stays in the text.

## Ping it

\`\`\`bash
ping -c 1 node2
\`\`\`
`;

function problemsOf(source: string): string[] {
  try {
    parseLab(source, 'labs/en/x.md', 'x');
  } catch (error) {
    assert.ok(error instanceof LabFormatError, String(error));
    return error.problems.map((problem) => `${problem.line}: ${problem.message}`);
  }
  assert.fail('the lab was accepted');
}

describe('parseLab', () => {
  it('reads the front matter, steps, runnable blocks with their instance, the check and the hint', () => {
    const lab = parseLab(GOOD, 'labs/en/two-hosts.md', 'two-hosts');
    assert.equal(lab.title, 'Two hosts');
    assert.equal(lab.duration, 10);
    assert.deepEqual(lab.template.instances.map((instance) => instance.hostname), ['node1', 'node2']);
    assert.deepEqual(lab.template.instances[0]!.files, [{ path: '/root/notes.txt', content: 'hello' }]);
    assert.deepEqual(lab.template.instances[1]!.files, [], 'files default to none');
    assert.equal(lab.introduction, 'Welcome to the lab.');
    assert.deepEqual(lab.steps.map((step) => [step.number, step.title, step.line]), [[1, 'Find your address', 18], [2, 'Ping it', 43]]);

    const [first, second] = lab.steps;
    assert.deepEqual(first!.blocks, [{ id: '1.1', instance: 'node2', code: 'hostname -i\n', line: 22 }]);
    assert.deepEqual(first!.check, { instance: 'node2', script: 'test -n "$(hostname -i)"\n', line: 34 });
    assert.equal(first!.hint, 'Run the block on **node2**.');
    assert.doesNotMatch(first!.markdown, /\[!TIP\]|test -n/, 'the learner reads neither the check nor the hint in the step');
    assert.match(first!.markdown, /An ordinary quote stays in the text/);
    assert.match(first!.markdown, /not: runnable/);
    assert.deepEqual(second!.blocks, [{ id: '2.1', instance: 'node1', code: 'ping -c 1 node2\n', line: 45 }]);
    assert.equal(second!.check, undefined);
  });

  it('names the file and line of each front-matter problem', () => {
    const source = GOOD.replace('duration: 10', 'duration: ten').replace('    - hostname: node2', '    - hostname: Node_2\n      cpu: 4');
    assert.deepEqual(problemsOf(source), [
      '5: duration: Invalid input: expected number, received string',
      '13: template.instances.1.hostname: a lowercase hostname such as node1 (letters, digits, "-", at most 31 characters)',
      '14: template.instances.1: unknown field "cpu"',
    ]);
  });

  it('says which required field is missing, and catches a hostname used twice', () => {
    const source = GOOD.replace('title: Two hosts\n', '').replace('hostname: node2', 'hostname: node1');
    assert.deepEqual(problemsOf(source), [
      '2: title: is required',
      '12: template.instances.1.hostname: hostname "node1" is used twice',
    ]);
  });

  it('reports broken YAML with its line', () => {
    const problems = problemsOf(GOOD.replace('duration: 10', 'duration: [10'));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^\d+: front matter is not valid YAML/);
  });

  it('reports body problems: unknown instance, checks and hints outside a step or twice, no steps', () => {
    const body = GOOD.replace('```sh instance=node2\nhostname -i', '```sh instance=node9\nhostname -i')
      .replace('Welcome to the lab.', 'Welcome.\n\n```sh check\ntrue\n```')
      .replace('> An ordinary quote', '> [!TIP]\n> again\n\n> An ordinary quote');
    assert.deepEqual(problemsOf(body), [
      '18: a check belongs to a step: put it under a "## " heading',
      '26: instance=node9 is not an instance of the template (node1, node2)',
      '45: step "Find your address" has a second hint; a step has at most one',
    ]);
    assert.deepEqual(problemsOf(GOOD.slice(0, GOOD.indexOf('Welcome'))), ['15: a lab needs at least one step (a "## " heading)']);
    assert.deepEqual(problemsOf('# no front matter\n'), ['1: a lab starts with YAML front matter between two "---" lines']);
  });
});

describe('loadLabs', () => {
  it('loads labs/<language>/<slug>.md, finds a lab in the reader\'s language, and lists every bad file at once', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'labs-'));
    try {
      await mkdir(path.join(root, 'en'));
      await mkdir(path.join(root, 'ko'));
      await writeFile(path.join(root, 'en', 'two-hosts.md'), GOOD);
      await writeFile(path.join(root, 'ko', 'two-hosts.md'), GOOD.replace('language: en', 'language: ko').replace('Two hosts', '호스트 두 대'));
      const labs = await loadLabs(root);
      assert.equal(findLab(labs, 'two-hosts', ['ko-KR', 'en'])?.title, '호스트 두 대');
      assert.equal(findLab(labs, 'two-hosts', ['fr'])?.language, 'en');
      assert.equal(findLab(labs, 'nope'), undefined);

      await writeFile(path.join(root, 'en', 'Bad Name.md'), GOOD);
      await writeFile(path.join(root, 'ko', 'wrong-folder.md'), GOOD);
      await assert.rejects(loadLabs(root), (error: unknown) => {
        assert.ok(error instanceof LabFormatError);
        assert.match(error.message, /Bad Name\.md:1: file name "Bad Name" must be a slug/);
        assert.match(error.message, /wrong-folder\.md:1: language is "en" but the file is in labs\/ko\//);
        return true;
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the shipped labs load, and labs/lab.schema.json is generated from the model', async () => {
    const labs = await loadLabs();
    assert.ok(labs.length > 0);
    const shipped = JSON.parse(await readFile(new URL('../../../labs/lab.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(shipped, labFrontMatterJsonSchema(), 'run `npm run labs:schema` to regenerate labs/lab.schema.json');
  });
});
