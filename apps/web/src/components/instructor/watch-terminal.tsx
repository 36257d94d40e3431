'use client';

import type { TerminalWatchAuth } from '@playground/contracts';
import { useLocale, useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { TerminalOverlay } from '../terminal/terminal-overlay';
import { useTerminalPreferences } from '../terminal/use-terminal-preferences';
import { useTerminalSocket, type TerminalSocket } from '../terminal/use-terminal-socket';

/**
 * A live view of a learner's terminal: the same screen they see, read-only until they accept a
 * help request. Keystrokes are sent all the same, so the server (which alone knows whether
 * the learner said yes) answers with its reason when they do not reach the shell.
 */
export function WatchTerminal({ instanceId, helpGranted }: { instanceId: string; helpGranted: boolean }) {
  const t = useTranslations('watch');
  // The server's notices are English: other languages say the translated general case.
  const english = useLocale() === 'en';
  const [canType, setCanType] = useState(helpGranted);
  const [notice, setNotice] = useState<string | null>(null);
  /** The server's word on keystrokes it did not pass on; cleared when the learner allows typing. */
  const [refused, setRefused] = useState<string | null>(null);
  // The dashboard's poll and the socket's `control` both tell; the newer word wins.
  useEffect(() => setCanType(helpGranted), [helpGranted]);

  const attach = useCallback((socket: TerminalSocket) => {
    socket.on('control', ({ canType: allowed, reason }) => {
      setCanType(allowed);
      setNotice(reason);
      if (allowed) setRefused(null);
    });
    socket.on('inputRefused', ({ reason }) => {
      setCanType(false);
      setRefused(reason);
    });
    return () => undefined;
  }, []);
  const { hostRef, status, restart, fit, focus } = useTerminalSocket({
    key: instanceId,
    instanceId,
    auth: () => ({ instanceId, watch: true }) satisfies TerminalWatchAuth,
    sendsResize: false,
    followsShellSize: true,
    attach,
  });
  useEffect(() => {
    fit();
    focus();
  }, [fit, focus]);
  // The frame around the screen takes the watcher's theme, as xterm's own colours do.
  const { preferences } = useTerminalPreferences();

  return (
    <div className="watch-terminal" data-theme={preferences.theme} data-testid="watch-frame">
      <div className={`watch-mode${canType ? ' can-type' : ''}`} role="status" data-testid="watch-mode" data-can-type={canType ? 'true' : 'false'}>
        <b>{canType ? t('canType') : t('readOnly')}</b>
        <span data-testid="watch-notice">{(english && notice) || (canType ? t('allowed') : t('askFirst'))}</span>
        {refused && !canType ? (
          <span className="watch-refused" role="alert" data-testid="watch-refused">
            {english ? t('notTyped', { reason: refused }) : t('notTypedPlain')}
          </span>
        ) : null}
      </div>
      <div className="terminal-stack">
        <div className="terminal-shell">
          <div ref={hostRef} className="terminal-host" data-testid="watch-terminal" />
          <TerminalOverlay status={status} onRestart={restart} />
        </div>
      </div>
    </div>
  );
}
