'use client';

import { useCallback, useEffect, useRef } from 'react';

/**
 * Calls `load` now and then every `intervalMs` while the tab is visible (at once when it
 * becomes visible again), one call at a time, until `load` answers `'stop'` or the component
 * unmounts. Answers `refresh`, to load again right away (after the user changed something).
 */
export function usePoll(load: () => Promise<void | 'stop'>, intervalMs: number): () => Promise<void> {
  const loadRef = useRef(load);
  loadRef.current = load;
  const stoppedRef = useRef(false);

  const refresh = useCallback(async () => {
    if (stoppedRef.current) return;
    if ((await loadRef.current()) === 'stop') stoppedRef.current = true;
  }, []);

  useEffect(() => {
    stoppedRef.current = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unmounted = false;
    const tick = async () => {
      if (!document.hidden) await refresh();
      if (!unmounted && !stoppedRef.current) timer = setTimeout(tick, intervalMs);
    };
    const onVisible = () => {
      if (document.hidden || unmounted || stoppedRef.current) return;
      clearTimeout(timer);
      void tick();
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      unmounted = true;
      stoppedRef.current = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh, intervalMs]);

  return refresh;
}
