import MarkdownIt, { type Token } from 'markdown-it';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { readFence } from './fence.ts';
import {
  LabFrontMatterSchema,
  type Lab,
  type LabFrontMatter,
  type LabStep,
  type RunnableBlock,
  type StepCheck,
} from './model.ts';

// Markdown + YAML front matter → Lab, with every problem reported as file:line: what is wrong.
//
// Conventions of the body (documented in labs/README.md):
//   - each level-2 heading starts a step; text before the first one is the introduction;
//   - a fenced block whose language is sh/bash/shell is runnable; `instance=<hostname>` after
//     the language names the instance (default: the template's first), `norun` opts out;
//   - a fenced block with the word `check` after its language is the step's check script;
//   - a `> [!TIP]` blockquote (GitHub's tip callout) is the step's hint.

export interface LabProblem {
  file: string;
  line: number;
  message: string;
}

export class LabFormatError extends Error {
  constructor(readonly problems: LabProblem[]) {
    super(problems.map((problem) => `${problem.file}:${problem.line}: ${problem.message}`).join('\n'));
    this.name = 'LabFormatError';
  }
}

const markdown = new MarkdownIt();
const FRONT_MATTER_FENCE = /^---\s*$/;
const TIP_MARKER = /^\s*>\s*\[!TIP\]\s*$/i;

/** Parses one lab file; throws LabFormatError listing every problem found. */
export function parseLab(source: string, file: string, slug: string): Lab {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const problems: LabProblem[] = [];
  const report = (line: number, message: string) => problems.push({ file, line, message });

  const split = splitFrontMatter(lines);
  if (!split) {
    report(1, 'a lab starts with YAML front matter between two "---" lines');
    throw new LabFormatError(problems);
  }
  const frontMatter = parseFrontMatter(split.yaml, report);
  const hostnames = frontMatter?.template.instances.map((instance) => instance.hostname) ?? [];
  const body = parseBody(lines, split.bodyStart, hostnames, report);
  if (body.steps.length === 0) report(split.bodyStart + 1, 'a lab needs at least one step (a "## " heading)');
  if (problems.length > 0 || !frontMatter) throw new LabFormatError(problems);
  return { slug, file, ...frontMatter, ...body };
}

function splitFrontMatter(lines: string[]): { yaml: string; bodyStart: number } | undefined {
  if (!FRONT_MATTER_FENCE.test(lines[0] ?? '')) return undefined;
  const end = lines.findIndex((line, index) => index > 0 && FRONT_MATTER_FENCE.test(line));
  if (end < 0) return undefined;
  // Blank lines keep the YAML's line numbers equal to the file's.
  return { yaml: ['', ...lines.slice(1, end)].join('\n'), bodyStart: end + 1 };
}

function parseFrontMatter(yaml: string, report: (line: number, message: string) => void): LabFrontMatter | undefined {
  const lineCounter = new LineCounter();
  const document = parseDocument(yaml, { lineCounter, prettyErrors: false });
  for (const error of document.errors) {
    report(lineCounter.linePos(error.pos[0]).line, `front matter is not valid YAML: ${error.message.split('\n')[0]}`);
  }
  if (document.errors.length > 0) return undefined;

  const parsed = LabFrontMatterSchema.safeParse(document.toJS() ?? {});
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = yamlPath(issue);
    const missing = issue.code === 'invalid_type' && document.getIn(path) === undefined;
    report(lineOfIssue(document, lineCounter, issue), describeIssue(issue, missing));
  }
  return undefined;
}

type YamlDocument = ReturnType<typeof parseDocument>;
type YamlPath = (string | number)[];

/** The line of the YAML node an issue is about, or of its nearest parent that exists. */
function lineOfIssue(document: YamlDocument, lineCounter: LineCounter, issue: z.core.$ZodIssue): number {
  const path = yamlPath(issue);
  const candidates: unknown[] = [];
  if (issue.code === 'unrecognized_keys') candidates.push(keyNodeOf(document, path, issue.keys[0]!));
  for (let length = path.length; length > 0; length--) candidates.push(document.getIn(path.slice(0, length), true));
  candidates.push(document.contents);
  for (const node of candidates) {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return 2;
}

function yamlPath(issue: z.core.$ZodIssue): YamlPath {
  return issue.path.filter((key): key is string | number => typeof key !== 'symbol');
}

/** The key node of `key` in the map at `path` (where an unknown field was written). */
function keyNodeOf(document: YamlDocument, path: YamlPath, key: string): unknown {
  const map = path.length > 0 ? document.getIn(path, true) : document.contents;
  const items = (map as { items?: Array<{ key?: { value?: unknown } }> } | undefined)?.items ?? [];
  return items.find((pair) => pair.key?.value === key)?.key;
}

function describeIssue(issue: z.core.$ZodIssue, missing: boolean): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (missing) return `${where}is required`;
  return `${where}${issue.message}`;
}

interface Body {
  introduction: string;
  steps: LabStep[];
}

function parseBody(lines: string[], bodyStart: number, hostnames: string[], report: (line: number, message: string) => void): Body {
  const text = lines.slice(bodyStart).join('\n');
  const tokens = markdown.parse(text, {});
  const fileLine = (token: Token) => bodyStart + (token.map?.[0] ?? 0) + 1;
  const steps: LabStep[] = [];
  // Lines (0-based, in the body) that the learner does not read as prose: checks and hints.
  const hidden = new Set<number>();
  const sectionStarts: number[] = [];

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    const step = steps.at(-1);
    if (token.type === 'heading_open' && token.tag === 'h2') {
      const title = tokens[index + 1]?.content.trim() ?? '';
      if (!title) report(fileLine(token), 'a step heading needs a title');
      steps.push({ number: steps.length + 1, title, markdown: '', blocks: [], line: fileLine(token) });
      sectionStarts.push(token.map![0]);
    } else if (token.type === 'fence') {
      const fence = readFence(token.info);
      if (!fence.runnable && !fence.check) continue;
      const instance = fence.instance ?? hostnames[0] ?? '';
      if (fence.instance && hostnames.length > 0 && !hostnames.includes(fence.instance)) {
        report(fileLine(token), `instance=${fence.instance} is not an instance of the template (${hostnames.join(', ')})`);
      }
      if (!step) {
        if (fence.check) report(fileLine(token), 'a check belongs to a step: put it under a "## " heading');
        continue;
      }
      if (fence.check) {
        if (step.check) report(fileLine(token), `step "${step.title}" has a second check; a step has at most one`);
        step.check = { instance, script: token.content, line: fileLine(token) } satisfies StepCheck;
        hideLines(hidden, token);
      } else {
        const block: RunnableBlock = { id: `${step.number}.${step.blocks.length + 1}`, instance, code: token.content, line: fileLine(token) };
        if (!block.code.trim()) report(block.line, 'a runnable block is empty');
        step.blocks.push(block);
      }
    } else if (token.type === 'blockquote_open' && token.level === 0 && TIP_MARKER.test(text.split('\n')[token.map![0]] ?? '')) {
      if (!step) {
        report(fileLine(token), 'a hint belongs to a step: put it under a "## " heading');
        continue;
      }
      if (step.hint !== undefined) report(fileLine(token), `step "${step.title}" has a second hint; a step has at most one`);
      step.hint = blockquoteText(text, token);
      if (!step.hint) report(fileLine(token), 'a hint is empty');
      hideLines(hidden, token);
    }
  }

  const bodyLines = text.split('\n');
  const prose = (from: number, to: number) =>
    bodyLines
      .slice(from, to)
      .filter((_, offset) => !hidden.has(from + offset))
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  steps.forEach((step, position) => {
    step.markdown = prose(sectionStarts[position]! + 1, sectionStarts[position + 1] ?? bodyLines.length);
  });
  return { introduction: prose(0, sectionStarts[0] ?? bodyLines.length), steps };
}

function hideLines(hidden: Set<number>, token: Token): void {
  for (let line = token.map![0]; line < token.map![1]; line++) hidden.add(line);
}

/** The blockquote's Markdown without its "> " prefixes and the [!TIP] marker line. */
function blockquoteText(text: string, token: Token): string {
  return text
    .split('\n')
    .slice(token.map![0] + 1, token.map![1])
    .map((line) => line.replace(/^\s*>\s?/, ''))
    .join('\n')
    .trim();
}
