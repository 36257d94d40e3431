'use client';

import type { WorkshopView } from '@playground/contracts';
import { useFormatter, useLocale, useTranslations } from 'next-intl';
import { ApiError } from '@/lib/api-client';
import { useAction } from '@/lib/use-action';
import { prepareSeats } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';

/** Seats made ahead of time: how many are ready, being made, failed; and Prepare. */
export function SeatsPanel({ workshop, onChanged }: { workshop: WorkshopView; onChanged: () => void }) {
  const t = useTranslations('seats');
  const format = useFormatter();
  const english = useLocale() === 'en';
  const { busy, error, setError, run } = useAction();
  const ended = workshop.status === 'ended';

  const prepare = () =>
    run(
      async () => {
        await prepareSeats(workshop.id);
        onChanged();
      },
      (err) => refusalMessage(err, workshop.seats, t, english),
    );

  return (
    <div className="panel seats-panel" data-testid="seats-panel">
      <div className="seat-counts">
        <Count label={t('ready')} value={workshop.seatsReady} testId="seats-ready" tone="good" />
        <Count label={t('preparing')} value={workshop.seatsPreparing} testId="seats-preparing" tone="busy" />
        <Count label={t('failed')} value={workshop.seatsFailed} testId="seats-failed" tone={workshop.seatsFailed ? 'bad' : 'none'} />
        <Count label={t('joined')} value={workshop.learners.length} testId="seats-joined" tone="none" suffix={` / ${workshop.seats}`} />
      </div>
      <p className="muted">
        {workshop.startsAt && workshop.status === 'scheduled'
          ? t('scheduled', { when: format.dateTime(new Date(workshop.startsAt), { dateStyle: 'medium', timeStyle: 'short' }) })
          : t('why')}
      </p>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <button type="button" className="btn btn-primary" onClick={() => void prepare()} disabled={busy || ended} data-testid="prepare-seats">
        {busy ? <span className="spinner" aria-hidden="true" /> : null}
        {t('prepare')}
      </button>
    </div>
  );
}

function Count({ label, value, testId, tone, suffix = '' }: { label: string; value: number; testId: string; tone: 'good' | 'busy' | 'bad' | 'none'; suffix?: string }) {
  return (
    <div className={`seat-count ${tone}`}>
      <b data-testid={testId}>
        {value}
        {suffix}
      </b>
      <span>{label}</span>
    </div>
  );
}

/** insufficient_capacity says how many seats the cluster can guarantee; say that plainly. */
function refusalMessage(err: unknown, seats: number, t: ReturnType<typeof useTranslations<'seats'>>, english: boolean): string | undefined {
  if (!(err instanceof ApiError) || err.code !== 'insufficient_capacity') return undefined;
  const guaranteed = err.details.guaranteed;
  if (typeof guaranteed !== 'number') return undefined;
  return english ? `${t('noRoom', { guaranteed, seats })} ${err.message}` : t('noRoom', { guaranteed, seats });
}
