'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';

/** The card an error boundary shows: never the error itself, a friendly word and a way out. */
export function ErrorCard({ text, reset, home = false }: { text: 'text' | 'globalText'; reset: () => void; home?: boolean }) {
  const t = useTranslations('errorPage');
  return (
    <main className="center-card">
      <div className="card">
        <div className="code">:(</div>
        <h1>{t('title')}</h1>
        <p>{t(text)}</p>
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={() => reset()}>
            {t('retry')}
          </button>
          {home ? (
            <Link href="/" className="btn">
              {t('home')}
            </Link>
          ) : null}
        </div>
      </div>
    </main>
  );
}
