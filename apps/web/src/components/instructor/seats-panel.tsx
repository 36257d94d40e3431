'use client';

import type { WorkshopView } from '@playground/contracts';
import { ApiError } from '@/lib/api-client';
import { useAction } from '@/lib/use-action';
import { prepareSeats } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';

/** Seats made ahead of time: how many are ready, being made, failed; and Prepare. */
export function SeatsPanel({ workshop, onChanged }: { workshop: WorkshopView; onChanged: () => void }) {
  const { busy, error, setError, run } = useAction();
  const ended = workshop.status === 'ended';

  const prepare = () =>
    run(
      async () => {
        await prepareSeats(workshop.id);
        onChanged();
      },
      (err) => refusalMessage(err, workshop.seats),
    );

  return (
    <div className="panel seats-panel" data-testid="seats-panel">
      <div className="seat-counts">
        <Count label="ready" value={workshop.seatsReady} testId="seats-ready" tone="good" />
        <Count label="being made" value={workshop.seatsPreparing} testId="seats-preparing" tone="busy" />
        <Count label="failed" value={workshop.seatsFailed} testId="seats-failed" tone={workshop.seatsFailed ? 'bad' : 'none'} />
        <Count label="joined" value={workshop.learners.length} testId="seats-joined" tone="none" suffix={` / ${workshop.seats}`} />
      </div>
      <p className="muted">
        {workshop.startsAt && workshop.status === 'scheduled'
          ? `Seats are made automatically shortly before ${new Date(workshop.startsAt).toLocaleString()}; you can make them now.`
          : 'Prepared seats give every learner a prompt the moment they join.'}
      </p>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <button type="button" className="btn btn-primary" onClick={() => void prepare()} disabled={busy || ended} data-testid="prepare-seats">
        {busy ? <span className="spinner" aria-hidden="true" /> : null}
        Prepare seats
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
function refusalMessage(err: unknown, seats: number): string | undefined {
  if (!(err instanceof ApiError) || err.code !== 'insufficient_capacity') return undefined;
  const guaranteed = err.details.guaranteed;
  return typeof guaranteed === 'number' ? `Not enough room: the playground can guarantee ${guaranteed} of ${seats} seats right now. ${err.message}` : err.message;
}
