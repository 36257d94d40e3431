import { z } from 'zod';

// The lab format's data model. The front matter is what an author writes in YAML; its zod
// schema is the single source of truth, and labs/lab.schema.json is generated from it (so
// an editor can check front matter as it is typed). The body's conventions (steps, runnable
// blocks, checks, hints) are Markdown and are parsed in parse-lab.ts into `Lab`.

/** Languages the playground's UI is written in; a lab is written in one of them. */
export const LAB_LANGUAGES = ['en', 'ko'] as const;
export type LabLanguage = (typeof LAB_LANGUAGES)[number];

/** Info-string languages whose fenced blocks are typed into a terminal when clicked. */
export const RUNNABLE_LANGUAGES = ['sh', 'bash', 'shell'] as const;

export const HOSTNAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const LabFileSchema = z
  .object({
    path: z
      .string()
      .regex(/^\/(?!.*(^|\/)\.\.(\/|$)).+[^/]$/, 'an absolute file path without ".." (e.g. /root/app/index.html)')
      .describe('Absolute path of the file inside the instance.'),
    content: z.string().max(256 * 1024).describe('The file\'s text.'),
    mode: z
      .string()
      .regex(/^0?[0-7]{3}$/, 'an octal mode such as "0644" or "755"')
      .optional()
      .describe('Octal permission bits; default 0644.'),
  })
  .strict();

export const LabInstanceSchema = z
  .object({
    hostname: z
      .string()
      .regex(HOSTNAME_PATTERN, 'a lowercase hostname such as node1 (letters, digits, "-", at most 31 characters)')
      .describe('Name of the instance; runnable blocks name it with instance=<hostname>.'),
    image: z.string().min(1).optional().describe('Image of the instance; default: the playground\'s instance image.'),
    setup: z.string().optional().describe('Shell script run in the instance before the learner sees it (after files are written).'),
    files: z.array(LabFileSchema).max(50).default([]).describe('Files written into the instance before setup runs.'),
  })
  .strict();

export const LabFrontMatterSchema = z
  .object({
    title: z.string().min(1).max(120).describe('Title shown in the lab list and above the steps.'),
    description: z.string().min(1).max(600).describe('One or two sentences: what the learner will do and learn.'),
    language: z.enum(LAB_LANGUAGES).describe('Language the lab is written in; it must match the lab\'s folder (labs/<language>/).'),
    duration: z.number().int().min(1).max(240).describe('Expected time to finish, in minutes.'),
    template: z
      .object({
        instances: z
          .array(LabInstanceSchema)
          .min(1)
          .max(5)
          .describe('Instances started for the lab, in order; the first is where blocks run unless they name another.'),
      })
      .strict()
      .superRefine((template, ctx) => {
        const seen = new Set<string>();
        template.instances.forEach((instance, index) => {
          if (seen.has(instance.hostname)) {
            ctx.addIssue({ code: 'custom', path: ['instances', index, 'hostname'], message: `hostname "${instance.hostname}" is used twice` });
          }
          seen.add(instance.hostname);
        });
      }),
  })
  .strict()
  .describe('Front matter of a Playground lab (the YAML between the --- lines at the top of the lab\'s Markdown file).');

export type LabFrontMatter = z.infer<typeof LabFrontMatterSchema>;
export type LabInstance = z.infer<typeof LabInstanceSchema>;

/** A fenced block the learner clicks to type it into a terminal. */
export interface RunnableBlock {
  /** Stable within the lab: `<step>.<block>`, both 1-based. */
  id: string;
  /** Hostname of the template instance it runs in. */
  instance: string;
  code: string;
  /** 1-based line of the opening fence in the lab file. */
  line: number;
}

export interface StepCheck {
  instance: string;
  script: string;
  line: number;
}

export interface LabStep {
  /** 1-based. */
  number: number;
  title: string;
  /** The step's Markdown as the learner reads it: the check and the hint are taken out. */
  markdown: string;
  blocks: RunnableBlock[];
  check?: StepCheck;
  /** Markdown shown when the check fails. */
  hint?: string;
  line: number;
}

export interface Lab extends LabFrontMatter {
  /** The file name without .md; a lab's translations share it. */
  slug: string;
  /** Path of the file, as given to the parser (for messages). */
  file: string;
  /** Markdown before the first step. */
  introduction: string;
  steps: LabStep[];
}

/** JSON Schema of the front matter, as written to labs/lab.schema.json. */
export function labFrontMatterJsonSchema(): Record<string, unknown> {
  return {
    title: 'Playground lab front matter',
    ...z.toJSONSchema(LabFrontMatterSchema, { io: 'input' }),
  };
}

/** A lab as the API serves it (GET /api/v1/labs/:slug): the file's path stays on the server. */
export type LabView = Omit<Lab, 'file'> & {
  /** Languages this lab is written in (its translations). */
  languages: LabLanguage[];
};

/** One entry of GET /api/v1/labs. */
export interface LabSummaryView {
  slug: string;
  title: string;
  description: string;
  language: LabLanguage;
  languages: LabLanguage[];
  duration: number;
  steps: number;
  instances: number;
}
