'use client';

import { useTranslations } from 'next-intl';
import { CloseIcon, WarningIcon } from './icons';

/** The one place API errors are shown to the learner (in the page's language: see useDescribeError). */
export function ErrorBanner({ message, onDismiss }: { message: string | null; onDismiss?: () => void }) {
  const t = useTranslations('common');
  if (!message) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <WarningIcon />
      <span>{message}</span>
      {onDismiss ? (
        <button type="button" className="dismiss" onClick={onDismiss} aria-label={t('dismiss')}>
          <CloseIcon />
        </button>
      ) : null}
    </div>
  );
}
