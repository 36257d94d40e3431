import { notFound } from 'next/navigation';
import { LabRunner } from '@/components/lab/lab-runner';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('lab', { referrer: 'no-referrer' });

export default async function LabPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ lang?: string }> }) {
  const [{ slug }, { lang }] = await Promise.all([params, searchParams]);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) notFound();
  return <LabRunner key={`${slug}-${lang ?? ''}`} slug={slug} language={lang === 'en' || lang === 'ko' ? lang : undefined} />;
}
