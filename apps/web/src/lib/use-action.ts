'use client';

import { useCallback, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';

/**
 * A button's or form's one API call: `busy` while it runs, its failure as a message to show
 * (in the page's language, see useDescribeError; `describe` may say it better for a known code).
 */
export function useAction() {
  const describeError = useDescribeError();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<void>, describe?: (err: unknown) => string | undefined): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(describe?.(err) ?? describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, [describeError]);
  return { busy, error, setError, run };
}
