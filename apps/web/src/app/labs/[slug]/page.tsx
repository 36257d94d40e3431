import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { LabRunner } from '@/components/lab/lab-runner';

export const metadata: Metadata = { title: 'Lab', referrer: 'no-referrer' };

export default async function LabPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ lang?: string }> }) {
  const [{ slug }, { lang }] = await Promise.all([params, searchParams]);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) notFound();
  return <LabRunner key={`${slug}-${lang ?? ''}`} slug={slug} language={lang === 'en' || lang === 'ko' ? lang : undefined} />;
}
