import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLab } from '@playground/labs';
import { renderLabMarkdown } from './lab-markdown.ts';
import { asKeystrokes, onTypedInput, typeIntoTerminal } from './terminal-input.ts';

const LAB = `---
title: T
description: D
language: en
duration: 5
template:
  instances:
    - hostname: node1
    - hostname: node2
---

## Step

Run <b>this</b>:

\`\`\`sh
echo one
\`\`\`

\`\`\`yaml
shown: only
\`\`\`

\`\`\`bash instance=node2
echo "<two>"
\`\`\`
`;

describe('a step rendered for the page', () => {
  const step = parseLab(LAB, 'x.md', 'x').steps[0]!;
  const html = renderLabMarkdown(step.markdown, step.blocks);

  it('marks each runnable block with its id and instance, in order, and leaves other code alone', () => {
    const marked = [...html.matchAll(/data-block="([^"]+)"[^>]*title="Run in ([^"]+)"/g)].map((match) => [match[1], match[2]]);
    assert.deepEqual(marked, [['1.1', 'node1'], ['1.2', 'node2']]);
    assert.match(html, /<code class="language-yaml">shown: only/);
  });

  it('shows the author\'s HTML and the code as text, never as markup', () => {
    assert.match(html, /Run &lt;b&gt;this&lt;\/b&gt;/);
    assert.match(html, /echo &quot;&lt;two&gt;&quot;/);
  });
});

describe('typing a block into a terminal', () => {
  it('sends each line with Enter to the open terminals of that instance only', () => {
    const typed: string[] = [];
    const off = onTypedInput('i1', (text) => typed.push(text));
    assert.equal(typeIntoTerminal('i1', asKeystrokes('cd /tmp\nls\n')), true);
    assert.equal(typeIntoTerminal('i2', 'x'), false, 'no terminal of i2 is open');
    off();
    assert.equal(typeIntoTerminal('i1', 'y'), false);
    assert.deepEqual(typed, ['cd /tmp\rls\r']);
  });
});
