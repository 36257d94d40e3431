import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';

/** A page's metadata with its title in the request's language (`titles.<key>`). */
export async function titled(key: string, extra: Metadata = {}): Promise<Metadata> {
  const t = await getTranslations('titles');
  return { ...extra, title: t(key) };
}
