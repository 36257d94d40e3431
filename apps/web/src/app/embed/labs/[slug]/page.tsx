import { notFound } from 'next/navigation';
import { LabRunner } from '@/components/lab/lab-runner';
import { titled } from '@/i18n/metadata';

// A lab inside another site's page: <iframe src="<base>/embed/labs/<slug>">. Which sites may
// frame it is the edge's frame-ancestors policy (EMBED_ORIGINS).

export const generateMetadata = () => titled('lab', { referrer: 'no-referrer', robots: { index: false, follow: false } });

export default async function EmbeddedLabPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ lang?: string }> }) {
  const [{ slug }, { lang }] = await Promise.all([params, searchParams]);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) notFound();
  return <LabRunner key={`${slug}-${lang ?? ''}`} slug={slug} language={lang === 'en' || lang === 'ko' ? lang : undefined} embedded />;
}
