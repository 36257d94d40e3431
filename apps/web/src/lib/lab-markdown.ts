import { readFence } from '@playground/labs/fence';
import type { LabStep } from '@playground/labs/model';
import MarkdownIt from 'markdown-it';

// A step's Markdown as HTML, with each runnable block marked (data-block="<id>") so a click
// can type it into its terminal. Raw HTML in a lab is shown as text, never rendered: a lab is
// content from an author, and the page that shows it holds a learner's session.

const markdown = new MarkdownIt({ html: false, linkify: true });
const defaultFence = markdown.renderer.rules.fence!;

/** The page's words on a runnable block (in the page's language, not the lab's). */
export interface BlockLabels {
  /** Its title: where it runs. */
  runIn: (instance: string) => string;
  /** The label of its run marker. */
  run: string;
}

const ENGLISH_LABELS: BlockLabels = { runIn: (instance) => `Run in ${instance}`, run: 'Run' };

interface RenderEnv {
  blocks?: LabStep['blocks'];
  next?: number;
  labels?: BlockLabels;
}

markdown.renderer.rules.fence = (tokens, index, options, renderEnv, self) => {
  const token = tokens[index]!;
  const env = (renderEnv ?? {}) as RenderEnv;
  if (!readFence(token.info).runnable || !env.blocks) return defaultFence(tokens, index, options, renderEnv, self);
  const block = env.blocks[env.next ?? 0];
  env.next = (env.next ?? 0) + 1;
  if (!block) return defaultFence(tokens, index, options, renderEnv, self);
  const code = markdown.utils.escapeHtml(token.content);
  const where = markdown.utils.escapeHtml(block.instance);
  const labels = env.labels ?? ENGLISH_LABELS;
  const title = markdown.utils.escapeHtml(labels.runIn(block.instance));
  return (
    `<div class="lab-block" data-block="${block.id}" role="button" tabindex="0" title="${title}">` +
    `<span class="lab-block-where">${where}</span><pre><code>${code}</code></pre>` +
    `<span class="lab-block-run" aria-hidden="true">▶ ${markdown.utils.escapeHtml(labels.run)}</span></div>\n`
  );
};

/** HTML of one step (its runnable blocks clickable), or of the introduction (no blocks). */
export function renderLabMarkdown(source: string, blocks?: LabStep['blocks'], labels?: BlockLabels): string {
  return markdown.render(source, { blocks, next: 0, labels } satisfies RenderEnv);
}
