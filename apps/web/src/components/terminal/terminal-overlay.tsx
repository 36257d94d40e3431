'use client';

import { useTranslations } from 'next-intl';
import type { TerminalStatus } from './use-terminal-socket';

/** What a terminal says over its screen while it is not simply connected. */
export function TerminalOverlay({ status, onRestart }: { status: TerminalStatus; onRestart: () => void }) {
  const t = useTranslations('terminal');
  if (status.kind === 'reconnecting') {
    return (
      <div className="terminal-overlay" role="status" data-testid="terminal-status">
        <span className="spinner" aria-hidden="true" /> {t('reconnecting')}
        {status.message ? <span className="terminal-status-detail">{status.message}</span> : null}
        <button type="button" className="btn" onClick={onRestart} data-testid="retry-terminal">
          {t('retryNow')}
        </button>
      </div>
    );
  }
  if (status.kind === 'connecting') {
    return (
      <div className="terminal-overlay" role="status" data-testid="terminal-status">
        <span className="spinner" aria-hidden="true" /> {t('connecting')}
      </div>
    );
  }
  if (status.kind === 'ended') {
    return (
      <div className="terminal-overlay ended" role="status" data-testid="terminal-status">
        <span>{status.message}</span>
        <button type="button" className="btn" onClick={onRestart} data-testid="restart-shell">
          {t('restart')}
        </button>
      </div>
    );
  }
  return null;
}
