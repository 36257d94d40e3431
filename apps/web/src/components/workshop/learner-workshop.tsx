'use client';

import type { LearnerWorkshopView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError } from '@/lib/api-client';
import { usePoll } from '@/lib/use-poll';
import { answerHelp, getLearnerWorkshop } from '@/lib/workshop-api';
import { CloseIcon } from '../icons';

// On a learner's playground page, when the session is a workshop's: which workshop, the
// instructor's newest broadcast, whether the instructor is watching, and the learner's say
// over the instructor typing in their terminal. Renders nothing for any other session.

const POLL_MS = 2_000;

export function LearnerWorkshop({ sessionId }: { sessionId: string }) {
  const t = useTranslations('learnerWorkshop');
  const describeError = useDescribeError();
  const [view, setView] = useState<LearnerWorkshopView | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = usePoll(
    useCallback(async () => {
      try {
        setView(await getLearnerWorkshop(sessionId));
      } catch (err) {
        // Not a workshop's session (or no longer a session at all): nothing more to show.
        if (err instanceof ApiError && err.status === 404) {
          setView(null);
          return 'stop';
        }
        // A passing failure: keep what is shown; the next poll tries again.
      }
    }, [sessionId]),
    POLL_MS,
  );

  const answer = async (allow: boolean) => {
    setError(null);
    try {
      setView(await answerHelp(sessionId, allow));
    } catch (err) {
      setError(describeError(err, 'learnerWorkshop.answerFailed'));
      await refresh();
    }
  };

  if (!view) return null;
  return (
    <div className="workshop-strip" data-testid="learner-workshop">
      <div className="workshop-strip-row">
        <span className="workshop-name" data-testid="learner-workshop-title">
          {view.workshop.title}
        </span>
        <span className="muted">
          {t('byline', { instructor: view.workshop.instructor, name: view.learner.name })}
        </span>
        <span className="spacer" />
        {view.watching ? (
          <span className="watching-pill" role="status" data-testid="instructor-watching">
            <span className="dot" aria-hidden="true" /> {t('watching')}
          </span>
        ) : null}
        {view.help === 'granted' ? (
          <span className="help-granted" role="status" data-testid="help-granted">
            {t('canType')}
            <button type="button" className="btn btn-sm btn-danger" onClick={() => void answer(false)} data-testid="help-revoke">
              {t('revoke')}
            </button>
          </span>
        ) : null}
      </div>
      {view.help === 'requested' ? (
        <div className="help-request" role="alert" data-testid="help-request">
          <span>{t('asks')}</span>
          <button type="button" className="btn btn-sm btn-primary" onClick={() => void answer(true)} data-testid="help-allow">
            {t('allow')}
          </button>
          <button type="button" className="btn btn-sm" onClick={() => void answer(false)} data-testid="help-decline">
            {t('decline')}
          </button>
        </div>
      ) : null}
      {error ? (
        <div className="error-banner" role="alert">
          {error}
        </div>
      ) : null}
      <BroadcastBanner broadcast={view.broadcast} />
    </div>
  );
}

/** The newest broadcast; dismissed, it stays away until a newer one comes. */
function BroadcastBanner({ broadcast }: { broadcast: LearnerWorkshopView['broadcast'] }) {
  const t = useTranslations('learnerWorkshop');
  const format = useFormatter();
  const [dismissedAt, setDismissedAt] = useState<string | null>(null);
  if (!broadcast || broadcast.at === dismissedAt) return null;
  return (
    <div className="broadcast-banner" role="status" data-testid="broadcast-banner" data-at={broadcast.at}>
      <b>{t('instructor')}</b>
      <span data-testid="broadcast-text">{broadcast.message}</span>
      <span className="muted">{format.dateTime(new Date(broadcast.at), { timeStyle: 'short' })}</span>
      <button type="button" className="dismiss" onClick={() => setDismissedAt(broadcast.at)} aria-label={t('dismiss')} data-testid="broadcast-dismiss">
        <CloseIcon />
      </button>
    </div>
  );
}
