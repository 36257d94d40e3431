'use client';

import type { LearnerView, WorkshopView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
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
  const t = useTranslations('instructor');
  return <InstructorGate title={t('title')}>{() => <Dashboard workshopId={workshopId} />}</InstructorGate>;
}

type Loaded = { kind: 'loading' } | { kind: 'missing'; message: string } | { kind: 'ready'; workshop: WorkshopView; stale: boolean };

function Dashboard({ workshopId }: { workshopId: string }) {
  const t = useTranslations('dashboard');
  const states = useTranslations('workshopList.state');
  const format = useFormatter();
  const describeError = useDescribeError();
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
              : { kind: 'missing', message: describeError(err) },
          );
          return 'stop';
        }
        setLoaded((previous) => (previous.kind === 'ready' ? { ...previous, stale: true } : previous));
        setError(describeError(err, 'dashboard.loadFailed'));
      }
    }, [workshopId, describeError]),
    POLL_MS,
  );

  /** One learner or class action: its error shown at the top, the dashboard reloaded after. */
  const act = useCallback(
    async (what: () => Promise<unknown>) => {
      setError(null);
      try {
        await what();
      } catch (err) {
        setError(describeError(err));
      }
      await refresh();
    },
    [refresh, describeError],
  );

  if (loaded.kind === 'loading') return <span className="spinner" aria-label={t('loading')} />;
  if (loaded.kind === 'missing') return <ErrorBanner message={t('missing', { reason: loaded.message })} />;
  const { workshop } = loaded;
  const ended = workshop.status === 'ended';
  const watching = workshop.learners.find((learner) => learner.id === watchingId) ?? null;
  const help = (learner: LearnerView) => void act(() => askToHelp(workshop.id, learner.id));

  const endAll = () => {
    if (!window.confirm(t('confirmEnd', { title: workshop.title }))) return;
    setWatchingId(null);
    void act(() => endWorkshop(workshop.id));
  };

  return (
    <div className="dashboard" data-testid="workshop-dashboard" data-status={workshop.status}>
      <header className="dashboard-head">
        <div>
          <h1 data-testid="dashboard-title">{workshop.title}</h1>
          <p className="muted">
            <span className={`status-pill ${workshop.status}`} data-testid="workshop-status" data-status={workshop.status}>
              {states(workshop.status)}
            </span>{' '}
            {workshop.startsAt ? `${t('starts', { when: format.dateTime(new Date(workshop.startsAt), { dateStyle: 'medium', timeStyle: 'short' }) })} · ` : ''}
            {workshop.lab ? (
              <>
                {t.rich('followsLab', {
                  lab: () => <a href={`/labs/${encodeURIComponent(workshop.lab!.slug)}?lang=${encodeURIComponent(workshop.lab!.language)}`}>{workshop.lab!.slug}</a>,
                })}{' '}
                ·{' '}
              </>
            ) : null}
            {t('perLearner', { minutes: workshop.durationMinutes, instances: workshop.template.instances.length })}
            {loaded.stale ? <span className="offline-pill"> · {t('reconnecting')}</span> : null}
          </p>
        </div>
        <div className="dashboard-actions">
          <a className="btn" href={attendanceUrl(workshop.id)} download data-testid="attendance-csv">
            {t('attendance')}
          </a>
          <button type="button" className="btn" onClick={() => void act(() => extend(workshop.id, EXTEND_MINUTES))} disabled={ended} data-testid="extend-all">
            {t('extendAll', { minutes: EXTEND_MINUTES })}
          </button>
          <button type="button" className="btn btn-danger" onClick={endAll} disabled={ended} data-testid="end-workshop">
            {t('end')}
          </button>
        </div>
      </header>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {ended ? (
        <p className="ended-note" role="status" data-testid="workshop-ended">
          {t('ended')}
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
        <h2>{t('learners')}</h2>
        <LearnersTable
          learners={workshop.learners}
          watchingId={watchingId}
          actions={{
            watch: (learner) => setWatchingId(learner.id),
            askToHelp: help,
            extend: (learner) => void act(() => extend(workshop.id, EXTEND_MINUTES, learner.id)),
            end: (learner) => {
              if (!window.confirm(t('confirmEndLearner', { name: learner.name }))) return;
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
