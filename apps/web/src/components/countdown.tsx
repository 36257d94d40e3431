'use client';

import { useEffect, useState } from 'react';
import { formatRemaining } from '@/lib/format-remaining';

const WARNING_MS = 10 * 60_000;

/** Time left in the session, ticking every second; amber under ten minutes. */
export function Countdown({ expiresAt }: { expiresAt: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const remaining = Date.parse(expiresAt) - now;
  const warning = remaining < WARNING_MS;
  return (
    <div
      className={`countdown${warning ? ' warning' : ''}`}
      title={`Session ends at ${new Date(expiresAt).toLocaleTimeString()}`}
      data-warning={warning ? 'true' : 'false'}
    >
      <span className="dot" aria-hidden="true" />
      <span data-testid="countdown" suppressHydrationWarning>
        {formatRemaining(remaining)}
      </span>
      <span className="label">left</span>
    </div>
  );
}
