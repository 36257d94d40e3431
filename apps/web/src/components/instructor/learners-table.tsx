'use client';

import type { LearnerView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import { formatAgo, presenceOf, type Ago } from '@/lib/learner-presence';

export interface LearnerActions {
  watch: (learner: LearnerView) => void;
  askToHelp: (learner: LearnerView) => void;
  extend: (learner: LearnerView) => void;
  end: (learner: LearnerView) => void;
}

/** Every learner who joined, live: presence, last activity, instances, help, and what to do. */
export function LearnersTable({ learners, watchingId, actions }: { learners: LearnerView[]; watchingId: string | null; actions: LearnerActions }) {
  const t = useTranslations('learners');
  const format = useFormatter();
  const now = useNow(5_000);
  const ago = ({ key, values }: Ago) => t(`ago.${key}`, values);
  if (learners.length === 0) return <p className="muted" data-testid="no-learners">{t('none')}</p>;
  return (
    <table className="data-table learners" data-testid="learners-table">
      <thead>
        <tr>
          <th>{t('learner')}</th>
          <th>{t('status')}</th>
          <th>{t('lastActivity')}</th>
          <th>{t('instances')}</th>
          <th>{t('help')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {learners.map((learner) => {
          const presence = presenceOf(learner, now);
          const live = presence !== 'ended';
          return (
            <tr key={learner.id} data-testid="learner-row" data-learner={learner.id} data-name={learner.name} className={learner.id === watchingId ? 'selected' : undefined}>
              <td className="learner-name">{learner.name}</td>
              <td>
                <span className={`presence ${presence}`} data-testid="learner-presence" data-presence={presence}>
                  {t(`presence.${presence}`)}
                </span>
              </td>
              <td title={format.dateTime(new Date(learner.lastActivityAt), { dateStyle: 'medium', timeStyle: 'medium' })}>
                {ago(formatAgo(learner.lastActivityAt, now))}
              </td>
              <td className="mono">{learner.instances.map((i) => `${i.hostname}${i.status === 'running' ? '' : ` (${t(`instanceStatus.${i.status}`)})`}`).join(', ') || '—'}</td>
              <td data-testid="learner-help" data-help={learner.help}>
                {t(`helpState.${learner.help}`)}
              </td>
              <td className="row-actions">
                <button type="button" className="btn btn-sm" onClick={() => actions.watch(learner)} disabled={!live || learner.instances.length === 0} data-testid="watch-learner">
                  {t('watch')}
                </button>
                <button type="button" className="btn btn-sm" onClick={() => actions.askToHelp(learner)} disabled={!live || learner.help !== 'none'} data-testid="ask-help">
                  {t('askToHelp')}
                </button>
                <button type="button" className="btn btn-sm" onClick={() => actions.extend(learner)} disabled={!live} data-testid="extend-learner">
                  {t('extend', { minutes: 30 })}
                </button>
                <button type="button" className="btn btn-sm btn-danger" onClick={() => actions.end(learner)} disabled={!live} data-testid="end-learner">
                  {t('end')}
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The clock, re-read every `intervalMs`, so "idle" and "4 min ago" move on without a poll. */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
