import { LAB_LANGUAGES } from '@playground/labs';
import { PlaygroundError } from '@playground/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { z } from 'zod';
import type { LabCatalog } from '../labs.ts';

// GET /api/v1/labs and /api/v1/labs/:slug. The language is `?lang=` when given, else the
// browser's Accept-Language, else whichever translation exists.

const LabQuery = z.object({ lang: z.enum(LAB_LANGUAGES).optional() });
const LabParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lab slug is lowercase letters, digits and "-"') });

function readerLanguages(request: FastifyRequest): string[] {
  const query = LabQuery.safeParse(request.query);
  if (!query.success) throw new PlaygroundError('bad_request', `lang must be one of ${LAB_LANGUAGES.join(', ')}.`);
  const accepted = new Negotiator({ headers: request.headers }).languages([...LAB_LANGUAGES]);
  return [...(query.data.lang ? [query.data.lang] : []), ...accepted];
}

export function registerLabRoutes(app: FastifyInstance, catalog: LabCatalog): void {
  app.get('/api/v1/labs', async (request) => ({ labs: await catalog.list(readerLanguages(request)) }));

  app.get('/api/v1/labs/:slug', async (request) => {
    const params = LabParams.safeParse(request.params);
    if (!params.success) throw new PlaygroundError('bad_request', params.error.issues[0]!.message);
    const lab = await catalog.get(params.data.slug, readerLanguages(request));
    if (!lab) throw new PlaygroundError('not_found', `There is no lab "${params.data.slug}".`);
    return lab;
  });
}
