'use client';

import { useLocale, useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { createInstance, createSession } from '@/lib/api-client';
import { isRunMessage, statusMessage } from '@/lib/embed-messages';
import { asKeystrokes, typeIntoTerminal } from '@/lib/terminal-input';
import { TerminalView } from '../terminal-view';

type Attached = { sessionId: string; instanceId: string };

/** A terminal filling its frame; blocks posted by the embedding page are typed into it. */
export function EmbeddedTerminal({ attach }: { attach?: Attached }) {
  const t = useTranslations('embed');
  const describeError = useDescribeError();
  const locale = useLocale(); // the frame's (its ?lang= when the embedding page gave one)
  const [attached, setAttached] = useState<Attached | null>(attach ?? null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!attached) return;
    // Blocks that arrive before the shell is attached wait for it, in order.
    const pending: string[] = [];
    const flush = () => {
      while (pending.length > 0 && typeIntoTerminal(attached.instanceId, pending[0]!)) pending.shift();
    };
    const timer = setInterval(flush, 250);
    const onMessage = (event: MessageEvent) => {
      // Only the page that framed us; which pages may frame us is the edge's frame-ancestors.
      if (event.source !== window.parent || !isRunMessage(event.data)) return;
      pending.push(asKeystrokes(event.data.code));
      flush();
    };
    window.addEventListener('message', onMessage);
    window.parent.postMessage(statusMessage('connected'), '*');
    return () => {
      clearInterval(timer);
      window.removeEventListener('message', onMessage);
    };
  }, [attached]);

  const start = useCallback(async () => {
    setStarting(true);
    setError(null);
    try {
      const session = await createSession(undefined, locale);
      const instance = await createInstance(session.id);
      if (!instance) throw new Error('no instance in the answer');
      setAttached({ sessionId: session.id, instanceId: instance.id });
    } catch (err) {
      setError(describeError(err, 'embed.failed'));
    } finally {
      setStarting(false);
    }
  }, [describeError, locale]);

  return (
    <div className="embedded-terminal">
      <div className="terminal-stack">
        {attached ? <TerminalView sessionId={attached.sessionId} instanceId={attached.instanceId} visible /> : null}
        {!attached ? (
          <div className="terminal-overlay" role="status">
            {error ? <span data-testid="embed-error">{error}</span> : null}
            <button type="button" className="btn btn-primary" onClick={start} disabled={starting} data-testid="start-terminal">
              {starting ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">▶</span>}
              {starting ? t('starting') : t('start')}
            </button>
          </div>
        ) : null}
      </div>
    </div>
  );
}
