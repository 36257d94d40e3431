'use client';

import type { LearnerView } from '@playground/contracts';
import { useEffect, useState } from 'react';
import { formatAgo, presenceOf } from '@/lib/learner-presence';

export interface LearnerActions {
  watch: (learner: LearnerView) => void;
  askToHelp: (learner: LearnerView) => void;
  extend: (learner: LearnerView) => void;
  end: (learner: LearnerView) => void;
}

const HELP_LABEL = { none: '—', requested: 'asked…', granted: 'can type' } as const;

/** Every learner who joined, live: presence, last activity, instances, help, and what to do. */
export function LearnersTable({ learners, watchingId, actions }: { learners: LearnerView[]; watchingId: string | null; actions: LearnerActions }) {
  const now = useNow(5_000);
  if (learners.length === 0) return <p className="muted" data-testid="no-learners">Nobody has joined yet.</p>;
  return (
    <table className="data-table learners" data-testid="learners-table">
      <thead>
        <tr>
          <th>learner</th>
          <th>status</th>
          <th>last activity</th>
          <th>instances</th>
          <th>help</th>
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
                <span className={`presence ${presence}`} data-testid="learner-presence">
                  {presence}
                </span>
              </td>
              <td title={new Date(learner.lastActivityAt).toLocaleString()}>{formatAgo(learner.lastActivityAt, now)}</td>
              <td className="mono">{learner.instances.map((i) => `${i.hostname}${i.status === 'running' ? '' : ` (${i.status})`}`).join(', ') || '—'}</td>
              <td data-testid="learner-help">{HELP_LABEL[learner.help]}</td>
              <td className="row-actions">
                <button type="button" className="btn btn-sm" onClick={() => actions.watch(learner)} disabled={!live || learner.instances.length === 0} data-testid="watch-learner">
                  Watch
                </button>
                <button type="button" className="btn btn-sm" onClick={() => actions.askToHelp(learner)} disabled={!live || learner.help !== 'none'} data-testid="ask-help">
                  Ask to help
                </button>
                <button type="button" className="btn btn-sm" onClick={() => actions.extend(learner)} disabled={!live} data-testid="extend-learner">
                  +30 min
                </button>
                <button type="button" className="btn btn-sm btn-danger" onClick={() => actions.end(learner)} disabled={!live} data-testid="end-learner">
                  End
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
