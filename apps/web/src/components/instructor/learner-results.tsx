'use client';

import type { LearnerResult } from '@playground/contracts';
import { useLocale, useTranslations } from 'next-intl';

/** What a push or a command did in each learner's first instance. */
export function LearnerResults({ results, testId }: { results: LearnerResult[]; testId: string }) {
  const t = useTranslations('results');
  const english = useLocale() === 'en';
  if (results.length === 0) return <p className="muted" data-testid={testId}>{t('none')}</p>;
  return (
    <table className="data-table results" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('learner')}</th>
          <th>{t('result')}</th>
          <th>{t('output')}</th>
        </tr>
      </thead>
      <tbody>
        {results.map((result) => (
          <tr key={result.learnerId} data-learner={result.learnerId} data-ok={result.ok ? 'true' : 'false'}>
            <td>{result.name}</td>
            <td className={result.ok ? 'ok' : 'bad'}>
              {result.error && english
                ? result.error
                : result.exitCode === undefined || result.exitCode === null
                  ? result.ok
                    ? t('done')
                    : t('failed')
                  : t('exit', { code: result.exitCode })}
            </td>
            <td>{result.output ? <pre className="result-output">{result.output}</pre> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
