'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { createSession } from '@/lib/api-client';
import { ErrorBanner } from './error-banner';

/** Creates a session and opens it. The session id in the URL is the learner's capability. */
export function StartSessionButton({ label = 'Start', className = 'btn btn-primary btn-lg' }: { label?: string; className?: string }) {
  const router = useRouter();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start() {
    setStarting(true);
    setError(null);
    try {
      const session = await createSession();
      router.push(`/p/${session.id}`);
      // Stay "starting" until the next page replaces this one.
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not start a session. Please try again.');
      setStarting(false);
    }
  }

  return (
    <>
      <div className="cta-row">
        <button type="button" className={className} data-testid="start-session" onClick={start} disabled={starting}>
          {starting ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">▶</span>}
          {starting ? 'Starting…' : label}
        </button>
      </div>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
    </>
  );
}
