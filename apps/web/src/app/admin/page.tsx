import { getTranslations } from 'next-intl/server';
import { Brand } from '@/components/brand';
import { OperatorPanel } from '@/components/admin/operator-panel';
import { LanguageMenu } from '@/components/language-menu';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('admin');

export default async function AdminPage() {
  const t = await getTranslations('titles');
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
        <span className="nav-right">
          <span>{t('admin')}</span>
          <LanguageMenu />
        </span>
      </nav>
      <main className="operator">
        <OperatorPanel />
      </main>
    </div>
  );
}
