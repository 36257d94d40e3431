import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PlaygroundError } from '@playground/contracts';
import { LabFormatError } from '@playground/labs';
import { loadTemplateCatalog } from './session-templates.ts';

describe('session templates catalogue', () => {
  it('loads the shipped templates; an unknown id is a bad request that names the known ones', async () => {
    const catalog = await loadTemplateCatalog();
    assert.deepEqual(catalog.list().map((template) => template.id), ['single', 'swarm-3-2', 'two-hosts']);
    assert.equal(catalog.require('swarm-3-2').instances.filter((instance) => instance.swarm === 'manager').length, 3);
    assert.throws(() => catalog.require('nope'), (error: unknown) => error instanceof PlaygroundError && error.code === 'bad_request' && /single, swarm-3-2, two-hosts/.test(error.message));
  });

  it('a bad template stops the start with its file, line and what is wrong', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'templates-'));
    writeFileSync(path.join(directory, 'broken.yaml'), 'title: Broken\ndescription: workers without a manager\ninstances:\n  - hostname: w1\n    swarm: worker\n  - hostname: W2\n');
    await assert.rejects(loadTemplateCatalog(directory), (error: unknown) => {
      assert.ok(error instanceof LabFormatError);
      assert.match(error.message, /broken\.yaml:6: instances\.1\.hostname/);
      assert.match(error.message, /swarm workers need a swarm manager/);
      return true;
    });
  });
});
