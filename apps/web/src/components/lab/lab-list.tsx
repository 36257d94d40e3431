'use client';

import type { LabSummaryView } from '@playground/labs/model';
import { useLocale, useTranslations } from 'next-intl';
import { LOCALE_NAMES, type Locale } from '@/i18n/locales';
import { useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { listLabs } from '@/lib/api-client';
import { ErrorBanner } from '../error-banner';

/** Every lab, in the reader's language where it exists. */
export function LabList({ language }: { language?: string }) {
  const t = useTranslations('labs');
  const locale = useLocale();
  const describeError = useDescribeError();
  const [labs, setLabs] = useState<LabSummaryView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listLabs(language)
      .then((answer) => setLabs(answer.labs))
      .catch((err: unknown) => setError(describeError(err, 'labs.loadFailed')));
  }, [language, describeError]);

  if (error) return <ErrorBanner message={error} />;
  if (!labs) return <span className="skeleton" style={{ display: 'block', height: 160 }} />;
  return (
    <ul className="lab-list" data-testid="lab-list">
      {labs.map((lab) => (
        <li key={lab.slug} lang={lab.language}>
          <a href={`/labs/${lab.slug}${language ? `?lang=${language}` : ''}`} className="lab-card">
            <b>{lab.title}</b>
            <span>{lab.description}</span>
            {/* The lab's facts are the page's, not the lab author's: in the page's language. */}
            <small lang={locale}>
              {t('meta', { minutes: lab.duration, steps: lab.steps })} · {lab.languages.map((code, index) => (
                <span key={code} lang={code}>
                  {index > 0 ? ' / ' : ''}
                  {LOCALE_NAMES[code as Locale] ?? code}
                </span>
              ))}
            </small>
          </a>
        </li>
      ))}
    </ul>
  );
}
