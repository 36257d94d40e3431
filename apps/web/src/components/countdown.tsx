'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import { expiryWarning, formatRemaining } from '@/lib/format-remaining';

const WARNING_MS = 10 * 60_000;

/**
 * Time left in the session, ticking every second; amber under ten minutes. At 15 and again at
 * 5 minutes before the end a notice says so (each can be dismissed), so no one loses work to a
 * surprise.
 */
export function Countdown({ expiresAt }: { expiresAt: string }) {
  const t = useTranslations('countdown');
  const format = useFormatter();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const remaining = Date.parse(expiresAt) - now;
  const warning = remaining < WARNING_MS;
  const due = expiryWarning(remaining);
  const [dismissed, setDismissed] = useState<number | null>(null);
  return (
    <>
    {due !== null && dismissed !== due && (
      <div className="expiry-warning" role="alert" data-testid="expiry-warning">
        <span>
          {due === 15 ? t('warning15') : t('warning5')}
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => setDismissed(due)} aria-label={t('dismiss')}>
          ✕
        </button>
      </div>
    )}
    <div
      className={`countdown${warning ? ' warning' : ''}`}
      title={t('endsAt', { time: format.dateTime(new Date(expiresAt), { timeStyle: 'short' }) })}
      data-warning={warning ? 'true' : 'false'}
    >
      <span className="dot" aria-hidden="true" />
      <span data-testid="countdown" suppressHydrationWarning>
        {formatRemaining(remaining)}
      </span>
      <span className="label">{t('left')}</span>
    </div>
    </>
  );
}
