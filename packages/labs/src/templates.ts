import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { LabInstanceSchema, SLUG_PATTERN } from './model.ts';
import { LabFormatError, type LabProblem } from './parse-lab.ts';

// Session templates: what a new session starts with, as data (templates/<id>.yaml, documented
// in templates/README.md). An instance is described as in a lab's template, plus its role in
// a Docker Swarm that the playground forms once every instance runs.

export const TemplateInstanceSchema = LabInstanceSchema.extend({
  swarm: z.enum(['manager', 'worker']).optional().describe('Role in a Swarm formed once all instances run: the first manager initialises it.'),
}).strict();

export const SessionTemplateSchema = z
  .object({
    title: z.string().min(1).max(80).describe('Name shown where a template is picked.'),
    description: z.string().min(1).max(300).describe('One sentence: what the session starts with.'),
    instances: z.array(TemplateInstanceSchema).min(1).max(10).describe('Instances created with the session, in order.'),
  })
  .strict()
  .superRefine((template, ctx) => {
    const seen = new Set<string>();
    template.instances.forEach((instance, index) => {
      if (seen.has(instance.hostname)) ctx.addIssue({ code: 'custom', path: ['instances', index, 'hostname'], message: `hostname "${instance.hostname}" is used twice` });
      seen.add(instance.hostname);
    });
    const workers = template.instances.some((instance) => instance.swarm === 'worker');
    if (workers && !template.instances.some((instance) => instance.swarm === 'manager')) {
      ctx.addIssue({ code: 'custom', path: ['instances'], message: 'swarm workers need a swarm manager' });
    }
  });

export type TemplateInstance = z.infer<typeof TemplateInstanceSchema>;
export type SessionTemplate = z.infer<typeof SessionTemplateSchema> & { id: string };

/** The repository's templates/ folder (the shipped templates). */
export function templatesDirectory(): string {
  return fileURLToPath(new URL('../../../templates', import.meta.url));
}

/** Every template under `directory`, sorted by id; throws LabFormatError naming each bad file and line. */
export async function loadTemplates(directory: string = templatesDirectory()): Promise<SessionTemplate[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.yaml')).sort();
  const templates: SessionTemplate[] = [];
  const problems: LabProblem[] = [];
  for (const name of names) {
    const file = path.join(directory, name);
    const id = name.slice(0, -'.yaml'.length);
    if (!SLUG_PATTERN.test(id)) {
      problems.push({ file, line: 1, message: `file name "${id}" must be a template id: lowercase letters, digits and "-"` });
      continue;
    }
    const text = await readFile(file, 'utf8');
    const document = parseDocument(text);
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((error) => ({ file, line: error.linePos?.[0]?.line ?? 1, message: error.message })));
      continue;
    }
    const parsed = SessionTemplateSchema.safeParse(document.toJS());
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => ({ file, line: lineOf(document, text, issue.path), message: `${issue.path.join('.') || '(template)'}: ${issue.message}` })));
      continue;
    }
    templates.push({ id, ...parsed.data });
  }
  if (problems.length > 0) throw new LabFormatError(problems);
  return templates;
}

/** The 1-based line of the value at `at` in the YAML text, or 1 when it has no place. */
function lineOf(document: ReturnType<typeof parseDocument>, text: string, at: PropertyKey[]): number {
  for (let depth = at.length; depth > 0; depth--) {
    const node = document.getIn(at.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return text.slice(0, node.range[0]).split('\n').length;
  }
  return 1;
}
