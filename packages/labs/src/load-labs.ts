import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_LANGUAGES, SLUG_PATTERN, type Lab, type LabLanguage } from './model.ts';
import { LabFormatError, parseLab, type LabProblem } from './parse-lab.ts';

// Labs live in <directory>/<language>/<slug>.md; a lab's translations share the slug.

/** The repository's labs/ folder (the shipped labs). */
export function labsDirectory(): string {
  return fileURLToPath(new URL('../../../labs', import.meta.url));
}

/** Every lab under `directory`; throws LabFormatError listing the problems of every bad file. */
export async function loadLabs(directory: string = labsDirectory()): Promise<Lab[]> {
  const labs: Lab[] = [];
  const problems: LabProblem[] = [];
  for (const language of LAB_LANGUAGES) {
    const folder = path.join(directory, language);
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const name of names.filter((entry) => entry.endsWith('.md')).sort()) {
      const file = path.join(folder, name);
      const slug = name.slice(0, -'.md'.length);
      try {
        if (!SLUG_PATTERN.test(slug)) throw new LabFormatError([{ file, line: 1, message: `file name "${slug}" must be a slug: lowercase letters, digits and "-"` }]);
        const lab = parseLab(await readFile(file, 'utf8'), file, slug);
        if (lab.language !== language) throw new LabFormatError([{ file, line: 1, message: `language is "${lab.language}" but the file is in labs/${language}/` }]);
        labs.push(lab);
      } catch (error) {
        if (!(error instanceof LabFormatError)) throw error;
        problems.push(...error.problems);
      }
    }
  }
  if (problems.length > 0) throw new LabFormatError(problems);
  return labs;
}

/** The lab `slug` in the first of `languages` it is written in, else in any language. */
export function findLab(labs: Lab[], slug: string, languages: readonly string[] = []): Lab | undefined {
  const translations = labs.filter((lab) => lab.slug === slug);
  for (const language of languages) {
    const match = translations.find((lab) => lab.language === (language.toLowerCase().split('-')[0] as LabLanguage));
    if (match) return match;
  }
  return translations[0];
}
