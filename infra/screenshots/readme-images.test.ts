import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../launcher/stack.ts';
import { imageReferences, markdownFiles } from './readme-images.ts';
import { SCREENSHOT_DIR } from './shooter.ts';

// A broken picture in the README fails CI here, without a stack: every image a Markdown file
// of the repository shows exists, and every screenshot `npm run screenshots` made is shown.

describe('images in the documentation', () => {
  it('finds Markdown and HTML images, local ones only, without anchors', () => {
    const markdown = [
      '![The landing page](docs/screenshots/landing.png)',
      'text ![a](<docs/a b.png> "title") and ![remote](https://example.org/x.png)',
      '<img src="docs/screenshots/lab.png?v=2" alt="lab" width="640">',
      '<img alt="x" src=\'./y.svg#frag\'>',
      '![data](data:image/png;base64,AAAA) [a link](docs/not-an-image.png)',
    ].join('\n');
    assert.deepEqual(imageReferences(markdown), ['docs/screenshots/landing.png', 'docs/a b.png', 'docs/screenshots/lab.png', './y.svg']);
  });

  it('every image a Markdown file shows is in the repository', async () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of await markdownFiles(REPO_ROOT)) {
      for (const target of imageReferences(await readFile(file, 'utf8'))) {
        checked++;
        const resolved = path.resolve(path.dirname(file), decodeURIComponent(target));
        if (!existsSync(resolved)) missing.push(`${path.relative(REPO_ROOT, file)}: ${target}`);
      }
    }
    assert.deepEqual(missing, [], 'images referenced but missing');
    assert.ok(checked > 0, 'the README shows pictures');
  });

  it("every screenshot in docs/screenshots is shown in the README's learner section", async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const shown = new Set(imageReferences(readme).map((target) => path.resolve(REPO_ROOT, target)));
    const pictures = (await readdir(SCREENSHOT_DIR)).filter((name) => name.endsWith('.png'));
    assert.ok(pictures.length > 0, 'docs/screenshots has pictures');
    const unshown = pictures.filter((name) => !shown.has(path.join(SCREENSHOT_DIR, name)));
    assert.deepEqual(unshown, [], 'screenshots the README does not show (remove them or show them)');
  });
});
