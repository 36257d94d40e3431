import { getTranslations } from 'next-intl/server';
import Link from 'next/link';

export default async function NotFound() {
  const t = await getTranslations('notFound');
  return (
    <main className="center-card">
      <div className="card">
        <div className="code">404</div>
        <h1>{t('title')}</h1>
        <p>{t('text')}</p>
        <div className="actions">
          <Link href="/" className="btn btn-primary">
            {t('home')}
          </Link>
        </div>
      </div>
    </main>
  );
}
