'use client';

import type { LabSummaryView } from '@playground/labs/model';
import { useEffect, useState } from 'react';
import { listLabs } from '@/lib/api-client';
import { ErrorBanner } from '../error-banner';

/** Every lab, in the reader's language where it exists. */
export function LabList({ language }: { language?: string }) {
  const [labs, setLabs] = useState<LabSummaryView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listLabs(language)
      .then((answer) => setLabs(answer.labs))
      .catch((err: unknown) => setError(err instanceof Error ? err.message : 'Could not load the labs.'));
  }, [language]);

  if (error) return <ErrorBanner message={error} />;
  if (!labs) return <span className="skeleton" style={{ display: 'block', height: 160 }} />;
  return (
    <ul className="lab-list" data-testid="lab-list">
      {labs.map((lab) => (
        <li key={lab.slug} lang={lab.language}>
          <a href={`/labs/${lab.slug}${language ? `?lang=${language}` : ''}`} className="lab-card">
            <b>{lab.title}</b>
            <span>{lab.description}</span>
            <small>
              {lab.duration} min · {lab.steps} steps · {lab.languages.join(' / ')}
            </small>
          </a>
        </li>
      ))}
    </ul>
  );
}
