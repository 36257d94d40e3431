import { findLab, LAB_LANGUAGES, loadLabs, type Lab, type LabSummaryView, type LabView } from '@playground/labs';

// The catalogue of labs: the shipped ones (labs/<language>/<slug>.md), loaded and validated
// once at start (a bad lab stops the orchestrator with file:line messages rather than failing
// in a learner's page), and those instructors uploaded (uploaded-labs.ts), read when asked.

export interface LabCatalog {
  /** One entry per lab, each in the first of `languages` it is written in. */
  list(languages: readonly string[]): Promise<LabSummaryView[]>;
  get(slug: string, languages: readonly string[]): Promise<LabView | undefined>;
}

/** Where uploaded labs come from; absent, the catalogue is the shipped labs only. */
export interface LabSource {
  all(): Promise<Lab[]>;
}

/** The shipped labs only (tests of the routes). */
export async function loadLabCatalog(directory?: string): Promise<LabCatalog> {
  return labCatalog(await loadLabs(directory));
}

export function labCatalog(shipped: Lab[], uploaded?: LabSource): LabCatalog {
  const everyLab = async () => [...shipped, ...((await uploaded?.all()) ?? [])];
  const languagesOf = (labs: Lab[], slug: string) =>
    LAB_LANGUAGES.filter((language) => labs.some((lab) => lab.slug === slug && lab.language === language));

  return {
    list: async (languages) => {
      const labs = await everyLab();
      return [...new Set(labs.map((lab) => lab.slug))].map((slug) => {
        const lab = findLab(labs, slug, languages)!;
        return {
          slug,
          title: lab.title,
          description: lab.description,
          language: lab.language,
          languages: languagesOf(labs, slug),
          duration: lab.duration,
          steps: lab.steps.length,
          instances: lab.template.instances.length,
        };
      });
    },
    get: async (slug, languages) => {
      const labs = await everyLab();
      const lab = findLab(labs, slug, languages);
      if (!lab) return undefined;
      const { file: _file, ...view } = lab;
      return { ...view, languages: languagesOf(labs, slug) };
    },
  };
}
