'use client';

import { useCallback, useState } from 'react';

/**
 * A button's or form's one API call: `busy` while it runs, its failure as a message to show
 * (the server's own words; `describe` may say it better for a known code).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<void>, describe?: (err: unknown) => string | undefined): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(describe?.(err) ?? (err instanceof Error ? err.message : 'That did not work. Please try again.'));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
