import { findLab, LAB_LANGUAGES, loadLabs, type Lab, type LabSummaryView, type LabView } from '@playground/labs';

// The catalogue of labs (labs/<language>/<slug>.md), loaded and validated once at start: a bad
// lab stops the orchestrator with file:line messages rather than failing in a learner's page.

export interface LabCatalog {
  /** One entry per lab, each in the first of `languages` it is written in. */
  list(languages: readonly string[]): LabSummaryView[];
  get(slug: string, languages: readonly string[]): LabView | undefined;
}

export async function loadLabCatalog(directory?: string): Promise<LabCatalog> {
  const labs = await loadLabs(directory);
  const languagesOf = (slug: string) => LAB_LANGUAGES.filter((language) => labs.some((lab) => lab.slug === slug && lab.language === language));
  const view = ({ file: _file, ...lab }: Lab): LabView => ({ ...lab, languages: languagesOf(lab.slug) });
  const slugs = [...new Set(labs.map((lab) => lab.slug))];

  return {
    list: (languages) =>
      slugs.map((slug) => {
        const lab = findLab(labs, slug, languages)!;
        return {
          slug,
          title: lab.title,
          description: lab.description,
          language: lab.language,
          languages: languagesOf(slug),
          duration: lab.duration,
          steps: lab.steps.length,
          instances: lab.template.instances.length,
        };
      }),
    get: (slug, languages) => {
      const lab = findLab(labs, slug, languages);
      return lab && view(lab);
    },
  };
}
