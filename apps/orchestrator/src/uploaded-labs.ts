import { LabFormatError, parseLab, type Lab } from '@playground/labs';
import { PlaygroundError, newRecordId } from '@playground/contracts';
import type { Db } from './db.ts';
import type { UploadedLab } from './generated/prisma/client.ts';

// Labs instructors upload (POST /api/v1/labs): the same Markdown format as the shipped labs,
// validated on upload with the same parser (errors name their line), kept in Postgres and
// listed beside the shipped ones. A slug belongs to one lab: a shipped lab's slug, or one
// another instructor uses, cannot be taken.

/** Largest lab source accepted; the shipped labs are ~10 KB. */
export const UPLOADED_LAB_MAX_BYTES = 256 * 1024;

const sourceName = (row: Pick<UploadedLab, 'slug'>) => `uploaded/${row.slug}.md`;

export class UploadedLabs {
  constructor(
    private readonly db: Db,
    /** Slugs of the shipped labs (labs/…), which uploads may not take. */
    private readonly shippedSlugs: ReadonlySet<string>,
  ) {}

  /** Every uploaded lab, parsed (each was valid when uploaded; one that no longer parses is left out). */
  async all(): Promise<Lab[]> {
    const rows = await this.db.uploadedLab.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.flatMap((row) => {
      try {
        return [parseLab(row.source, sourceName(row), row.slug)];
      } catch {
        return [];
      }
    });
  }

  /** Adds a lab, or replaces the uploader's own lab of that slug and language. */
  async upload(instructorId: string, slug: string, source: string): Promise<Lab> {
    if (Buffer.byteLength(source) > UPLOADED_LAB_MAX_BYTES) {
      throw new PlaygroundError('bad_request', `A lab may be at most ${UPLOADED_LAB_MAX_BYTES / 1024} KB.`);
    }
    if (this.shippedSlugs.has(slug)) throw new PlaygroundError('slug_taken', `"${slug}" is a lab that ships with the playground; choose another slug.`);
    let lab: Lab;
    try {
      lab = parseLab(source, `${slug}.md`, slug);
    } catch (error) {
      if (!(error instanceof LabFormatError)) throw error;
      throw new PlaygroundError('bad_request', `The lab is not valid:\n${error.message}`);
    }
    const others = await this.db.uploadedLab.count({ where: { slug, instructorId: { not: instructorId } } });
    if (others > 0) throw new PlaygroundError('slug_taken', `Another instructor's lab is called "${slug}"; choose another slug.`);
    await this.db.uploadedLab.upsert({
      where: { slug_language: { slug, language: lab.language } },
      create: { id: newRecordId(), slug, language: lab.language, instructorId, source },
      update: { source },
    });
    return lab;
  }

  /** Removes the uploader's own lab (one language, or every language); someone else's is a 404. */
  async remove(instructorId: string | null, slug: string, language?: string): Promise<void> {
    const removed = await this.db.uploadedLab.deleteMany({
      where: { slug, ...(language ? { language } : {}), ...(instructorId ? { instructorId } : {}) },
    });
    if (removed.count === 0) throw new PlaygroundError('not_found', `You have no uploaded lab "${slug}".`);
  }

  async mine(instructorId: string): Promise<Array<{ slug: string; language: string; updatedAt: string }>> {
    const rows = await this.db.uploadedLab.findMany({ where: { instructorId }, orderBy: { updatedAt: 'desc' } });
    return rows.map((row) => ({ slug: row.slug, language: row.language, updatedAt: row.updatedAt.toISOString() }));
  }
}
