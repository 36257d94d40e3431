'use client';

import type { WorkshopListView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';

type Listed = WorkshopListView['workshops'][number];

/** The instructor's workshops, newest first as the server lists them; each opens its dashboard. */
export function WorkshopList({ workshops }: { workshops: Listed[] | null }) {
  const t = useTranslations('workshopList');
  const format = useFormatter();
  if (!workshops) return <span className="spinner" aria-label={t('loading')} />;
  if (workshops.length === 0) return <p className="muted">{t('empty')}</p>;
  return (
    <table className="data-table" data-testid="workshop-list">
      <thead>
        <tr>
          <th>{t('title')}</th>
          <th>{t('code')}</th>
          <th>{t('status')}</th>
          <th>{t('learners')}</th>
          <th>{t('seatsReady')}</th>
          <th>{t('starts')}</th>
        </tr>
      </thead>
      <tbody>
        {workshops.map((workshop) => (
          <tr key={workshop.id} data-workshop={workshop.id}>
            <td>
              <a href={`/instructor/workshops/${encodeURIComponent(workshop.id)}`}>{workshop.title}</a>
            </td>
            <td className="mono">{workshop.code}</td>
            <td>
              <span className={`status-pill ${workshop.status}`} data-status={workshop.status}>
                {t(`state.${workshop.status}`)}
              </span>
            </td>
            <td>
              {workshop.learnersJoined} / {workshop.seats}
            </td>
            <td>{workshop.seatsReady}</td>
            <td>{workshop.startsAt ? format.dateTime(new Date(workshop.startsAt), { dateStyle: 'medium', timeStyle: 'short' }) : t('now')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
