'use client';

import { useLocale, useTranslations } from 'next-intl';
import { useCallback } from 'react';
import { ApiError } from '@/lib/api-client';

/**
 * Turns a failure into the sentence the learner reads, in the page's language. The API answers
 * `{ error: { code, message } }` with an English message: English pages show that message as is
 * (it names specifics), other languages show the translation of its code (`errors.<code>`, with
 * the details the server sent as placeholders); a code without a translation falls back to the
 * server's text. `fallback` (a message key) covers failures that are not the API's.
 */
export function useDescribeError(): (err: unknown, fallback?: string) => string {
  const t = useTranslations();
  const locale = useLocale();
  return useCallback(
    (err: unknown, fallback = 'errors.generic') => {
      if (err instanceof ApiError) {
        // An answer without our error body (a proxy's 502, …): its status says enough.
        if (err.code.startsWith('http_') && locale !== 'en') return t('errors.http', { status: err.status });
        const key = `errors.${err.code}`;
        if (err.code === 'network' || !err.message) return t(t.has(key) ? key : fallback);
        if (locale === 'en' || !t.has(key)) return err.message;
        return t(key, detailValues(err.details));
      }
      return t(fallback);
    },
    [t, locale],
  );
}

/** The server's details that can fill a placeholder (numbers and strings). */
function detailValues(details: Readonly<Record<string, unknown>>): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(details)) if (typeof value === 'string' || typeof value === 'number') values[name] = value;
  return values;
}
