import { readdir } from 'node:fs/promises';
import path from 'node:path';

// The pictures a Markdown file shows, so a test can tell a broken image link before a reader
// does. Remote images (http:, https:, data:) are not ours to check.

const MARKDOWN_IMAGE = /!\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g;
const HTML_IMAGE = /<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']/gi;

/** Local image paths referenced by `markdown`, as written (anchors and queries removed), in order. */
export function imageReferences(markdown: string): string[] {
  const found: Array<{ at: number; target: string }> = [];
  for (const pattern of [MARKDOWN_IMAGE, HTML_IMAGE]) {
    for (const match of markdown.matchAll(pattern)) found.push({ at: match.index, target: (match[1] ?? match[2])! });
  }
  return found
    .sort((a, b) => a.at - b.at)
    .map(({ target }) => target.replace(/[?#].*$/, ''))
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const SKIPPED = new Set(['node_modules', '.git', '.next', '.playground', 'generated']);

/** Every Markdown file of the repository (not dependencies' or build output's). */
export async function markdownFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) files.push(...(await markdownFiles(full)));
    else if (entry.name.endsWith('.md')) files.push(full);
  }
  return files;
}
