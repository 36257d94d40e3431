import type { Metadata } from 'next';
import { Brand } from '@/components/brand';
import { LabList } from '@/components/lab/lab-list';

export const metadata: Metadata = { title: 'Labs' };

export default async function LabsPage({ searchParams }: { searchParams: Promise<{ lang?: string }> }) {
  const { lang } = await searchParams;
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
        <span>
          <a href="/labs?lang=en" hrefLang="en">English</a> · <a href="/labs?lang=ko" hrefLang="ko">한국어</a>
        </span>
      </nav>
      <main className="labs-index">
        <h1>Labs</h1>
        <p className="pitch">Step-by-step lessons beside a real terminal. Click a block to run it; each step checks your work.</p>
        <LabList language={lang === 'en' || lang === 'ko' ? lang : undefined} />
      </main>
    </div>
  );
}
