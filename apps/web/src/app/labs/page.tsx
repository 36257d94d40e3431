import { getLocale, getTranslations } from 'next-intl/server';
import { Brand } from '@/components/brand';
import { LabList } from '@/components/lab/lab-list';
import { LanguageMenu } from '@/components/language-menu';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('labs');

export default async function LabsPage({ searchParams }: { searchParams: Promise<{ lang?: string }> }) {
  const { lang } = await searchParams;
  const t = await getTranslations('labs');
  // The labs' own language: the one asked for in the URL, else the page's.
  const language = lang === 'en' || lang === 'ko' ? lang : await getLocale();
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
        <LanguageMenu />
      </nav>
      <main className="labs-index">
        <h1>{t('title')}</h1>
        <p className="pitch">{t('pitch')}</p>
        <LabList language={language} />
      </main>
    </div>
  );
}
