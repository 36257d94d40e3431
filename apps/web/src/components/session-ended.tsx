'use client';

import { useLocale, useTranslations } from 'next-intl';
import { Brand } from './brand';
import { StartSessionButton } from './start-session-button';

/** The page for a session that is over, however it ended: what happened, and a fresh start. */
export function SessionOver({ testId, title, message }: { testId: string; title: string; message: string }) {
  const t = useTranslations('sessionOver');
  return (
    <main className="center-card" data-testid={testId}>
      <div className="card">
        <Brand />
        <h1>{title}</h1>
        <p>{message}</p>
        <div className="actions">
          <StartSessionButton label={t('startNew')} className="btn btn-primary" />
        </div>
      </div>
    </main>
  );
}

/**
 * `reason`: the API's word on why (expired, closed, ended by the operator), when it gave one. It
 * is English, so only English pages show it; other languages say the general case.
 */
export function SessionEnded({ reason }: { reason?: string }) {
  const t = useTranslations('sessionOver');
  const locale = useLocale();
  const why = reason && locale === 'en' && reason !== 'This session has ended.' ? reason : t('endedGone');
  return <SessionOver testId="session-ended" title={t('endedTitle')} message={t('endedText', { why })} />;
}
