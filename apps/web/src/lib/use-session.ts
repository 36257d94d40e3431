'use client';

import type { SessionView } from '@playground/contracts';
import { useCallback, useRef, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError, getSession } from './api-client';
import { usePoll } from './use-poll';

const POLL_MS = 1500;

export type SessionState =
  | { kind: 'loading'; error: string | null }
  | { kind: 'active'; session: SessionView; stale: boolean }
  /** `message`: why, as the API said it (expired, closed, …), when it said. */
  | { kind: 'ended'; message?: string }
  /** Its node stopped responding; its instances are gone (GET answers 200 with status `lost`). */
  | { kind: 'lost' };

/**
 * Keeps the session view fresh by polling GET /sessions/:id every 1.5 s while the tab is
 * visible. A 404 means the session is gone for good (expired, closed, or never existed);
 * status `lost` (or 410 session_lost) means its node stopped responding.
 */
export function useSession(sessionId: string) {
  const [state, setState] = useState<SessionState>({ kind: 'loading', error: null });
  // In a ref: a language switch must not restart the poll.
  const describe = useDescribeError();
  const describeError = useRef(describe);
  describeError.current = describe;
  const endedRef = useRef(false);
  // Polls and explicit refreshes may overlap; only the newest answer is applied.
  const issued = useRef(0);
  const applied = useRef(0);

  const markEnded = useCallback((message?: string) => {
    endedRef.current = true;
    setState({ kind: 'ended', message });
  }, []);

  const markLost = useCallback(() => {
    endedRef.current = true;
    setState({ kind: 'lost' });
  }, []);

  const refresh = useCallback(async () => {
    if (endedRef.current) return;
    const seq = ++issued.current;
    try {
      const session = await getSession(sessionId);
      if (endedRef.current || seq < applied.current) return;
      applied.current = seq;
      if (session.status === 'ended' || session.status === 'closing') {
        markEnded();
        return;
      }
      if (session.status === 'lost') {
        markLost();
        return;
      }
      setState({ kind: 'active', session, stale: false });
    } catch (err) {
      if (endedRef.current || seq < applied.current) return;
      if (err instanceof ApiError && err.status === 404) {
        markEnded(err.code === 'session_ended' ? err.message : undefined);
        return;
      }
      if (err instanceof ApiError && err.code === 'session_lost') {
        markLost();
        return;
      }
      const message = describeError.current(err, 'playground.loadFailed');
      setState((prev) => (prev.kind === 'active' ? { ...prev, stale: true } : { kind: 'loading', error: message }));
    }
  }, [sessionId, markEnded, markLost]);

  usePoll(
    useCallback(async () => {
      await refresh();
      if (endedRef.current) return 'stop';
    }, [refresh]),
    POLL_MS,
  );

  return { state, refresh, markEnded, markLost };
}
