'use client';

import { useCallback, useEffect, useState } from 'react';

// Steps whose check passed, kept for the session (a reload or a return keeps them; a new
// session starts over, since its instances start over).

const storageKey = (sessionId: string) => `playground.lab-progress.${sessionId}`;

export function useLabProgress(sessionId: string | null) {
  const [passed, setPassed] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => {
    if (!sessionId) return setPassed(new Set());
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey(sessionId)) ?? '[]') as unknown;
      setPassed(new Set(Array.isArray(saved) ? saved.filter((step): step is number => Number.isInteger(step)) : []));
    } catch {
      setPassed(new Set());
    }
  }, [sessionId]);

  const markPassed = useCallback(
    (step: number) => {
      if (!sessionId) return;
      setPassed((previous) => {
        const next = new Set(previous).add(step);
        localStorage.setItem(storageKey(sessionId), JSON.stringify([...next]));
        return next;
      });
    },
    [sessionId],
  );

  return { passed, markPassed };
}
