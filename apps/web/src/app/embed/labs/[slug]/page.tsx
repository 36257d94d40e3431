import { notFound } from 'next/navigation';
import { NextIntlClientProvider } from 'next-intl';
import { LabRunner } from '@/components/lab/lab-runner';
import { isLocale } from '@/i18n/locales';
import { titled } from '@/i18n/metadata';
import { loadMessages } from '@/i18n/request';

// A lab inside another site's page: <iframe src="<base>/embed/labs/<slug>">. Which sites may
// frame it is the edge's frame-ancestors policy (EMBED_ORIGINS). `?lang=ko`: the embedding
// page's language, which the lab is read in and the frame and its shells speak, whatever the
// reader's cookie or Accept-Language say (as /embed/terminal).

export const generateMetadata = () => titled('lab', { referrer: 'no-referrer', robots: { index: false, follow: false } });

export default async function EmbeddedLabPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<{ lang?: string }> }) {
  const [{ slug }, { lang }] = await Promise.all([params, searchParams]);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) notFound();
  if (!isLocale(lang)) return <LabRunner key={slug} slug={slug} embedded />;
  return (
    <NextIntlClientProvider locale={lang} messages={await loadMessages(lang)}>
      <LabRunner key={`${slug}-${lang}`} slug={slug} language={lang} embedded />
    </NextIntlClientProvider>
  );
}
