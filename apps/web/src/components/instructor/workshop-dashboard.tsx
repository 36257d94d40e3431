'use client';

import type { LearnerView, WorkshopView } from '@playground/contracts';
import { useCallback, useState } from 'react';
import { ApiError } from '@/lib/api-client';
import { usePoll } from '@/lib/use-poll';
import { askToHelp, attendanceUrl, endLearner, endWorkshop, extend, getWorkshop } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { BroadcastForm, PushFileForm, RunCommandForm } from './class-tools';
import { InstructorGate } from './instructor-gate';
import { JoinLink } from './join-link';
import { LearnersTable } from './learners-table';
import { SeatsPanel } from './seats-panel';
import { WatchPanel } from './watch-panel';

const POLL_MS = 2_000;
const EXTEND_MINUTES = 30;

/** /instructor/workshops/:id: the live dashboard of one workshop. */
export function WorkshopDashboard({ workshopId }: { workshopId: string }) {
  return <InstructorGate title="Instructor">{() => <Dashboard workshopId={workshopId} />}</InstructorGate>;
}

type Loaded = { kind: 'loading' } | { kind: 'missing'; message: string } | { kind: 'ready'; workshop: WorkshopView; stale: boolean };

function Dashboard({ workshopId }: { workshopId: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const [watchingId, setWatchingId] = useState<string | null>(null);

  const refresh = usePoll(
    useCallback(async () => {
      try {
        const workshop = await getWorkshop(workshopId);
        setLoaded({ kind: 'ready', workshop, stale: false });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
          // Gone while on screen (ended elsewhere, or the server forgets ended ones): say it ended.
          setLoaded((previous) =>
            previous.kind === 'ready' && err.status === 404
              ? { kind: 'ready', workshop: { ...previous.workshop, status: 'ended' }, stale: false }
              : { kind: 'missing', message: err.message },
          );
          return 'stop';
        }
        setLoaded((previous) => (previous.kind === 'ready' ? { ...previous, stale: true } : previous));
        setError(err instanceof Error ? err.message : 'Could not load the workshop.');
      }
    }, [workshopId]),
    POLL_MS,
  );

  /** One learner or class action: its error shown at the top, the dashboard reloaded after. */
  const act = useCallback(
    async (what: () => Promise<unknown>) => {
      setError(null);
      try {
        await what();
      } catch (err) {
        setError(err instanceof Error ? err.message : 'That did not work.');
      }
      await refresh();
    },
    [refresh],
  );

  if (loaded.kind === 'loading') return <span className="spinner" aria-label="Loading" />;
  if (loaded.kind === 'missing') return <ErrorBanner message={`This workshop cannot be shown: ${loaded.message}`} />;
  const { workshop } = loaded;
  const ended = workshop.status === 'ended';
  const watching = workshop.learners.find((learner) => learner.id === watchingId) ?? null;
  const help = (learner: LearnerView) => void act(() => askToHelp(workshop.id, learner.id));

  const endAll = () => {
    if (!window.confirm(`End "${workshop.title}"? Every learner's session and every prepared seat is removed, with all their containers.`)) return;
    setWatchingId(null);
    void act(() => endWorkshop(workshop.id));
  };

  return (
    <div className="dashboard" data-testid="workshop-dashboard" data-status={workshop.status}>
      <header className="dashboard-head">
        <div>
          <h1 data-testid="dashboard-title">{workshop.title}</h1>
          <p className="muted">
            <span className={`status-pill ${workshop.status}`} data-testid="workshop-status">
              {workshop.status}
            </span>{' '}
            {workshop.startsAt ? `starts ${new Date(workshop.startsAt).toLocaleString()} · ` : ''}
            {workshop.lab ? (
              <>
                follows the lab <a href={`/labs/${encodeURIComponent(workshop.lab.slug)}?lang=${encodeURIComponent(workshop.lab.language)}`}>{workshop.lab.slug}</a> ·{' '}
              </>
            ) : null}
            {workshop.durationMinutes} min per learner · {workshop.template.instances.length} instance{workshop.template.instances.length === 1 ? '' : 's'} each
            {loaded.stale ? <span className="offline-pill"> · reconnecting…</span> : null}
          </p>
        </div>
        <div className="dashboard-actions">
          <a className="btn" href={attendanceUrl(workshop.id)} download data-testid="attendance-csv">
            Attendance CSV
          </a>
          <button type="button" className="btn" onClick={() => void act(() => extend(workshop.id, EXTEND_MINUTES))} disabled={ended} data-testid="extend-all">
            +{EXTEND_MINUTES} min for everyone
          </button>
          <button type="button" className="btn btn-danger" onClick={endAll} disabled={ended} data-testid="end-workshop">
            End workshop
          </button>
        </div>
      </header>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {ended ? (
        <p className="ended-note" role="status" data-testid="workshop-ended">
          This workshop has ended: every learner&apos;s session and prepared seat is gone.
        </p>
      ) : null}

      <div className="dashboard-top">
        <div className="panel">
          <JoinLink joinUrl={workshop.joinUrl} code={workshop.code} projector />
        </div>
        <SeatsPanel workshop={workshop} onChanged={() => void refresh()} />
      </div>

      {watching ? <WatchPanel key={watching.id} learner={watching} onAskToHelp={() => help(watching)} onClose={() => setWatchingId(null)} /> : null}

      <section>
        <h2>Learners</h2>
        <LearnersTable
          learners={workshop.learners}
          watchingId={watchingId}
          actions={{
            watch: (learner) => setWatchingId(learner.id),
            askToHelp: help,
            extend: (learner) => void act(() => extend(workshop.id, EXTEND_MINUTES, learner.id)),
            end: (learner) => {
              if (!window.confirm(`End ${learner.name}'s session? Their instances are removed.`)) return;
              if (learner.id === watchingId) setWatchingId(null);
              void act(() => endLearner(workshop.id, learner.id));
            },
          }}
        />
      </section>

      <section className="tools">
        <BroadcastForm workshopId={workshop.id} disabled={ended} />
        <PushFileForm workshopId={workshop.id} disabled={ended} />
        <RunCommandForm workshopId={workshop.id} disabled={ended} />
      </section>
    </div>
  );
}
