'use client';

import type { TerminalAuth } from '@playground/contracts';
import { useLocale } from 'next-intl';
import { useCallback, useEffect } from 'react';
import { isLocale } from '@/i18n/locales';
import { splitInput } from '@/lib/split-input';
import { onTypedInput } from '@/lib/terminal-input';
import { TerminalOverlay } from './terminal/terminal-overlay';
import { useTerminalSocket, type TerminalSocket } from './terminal/use-terminal-socket';
import type { Terminal } from '@xterm/xterm';

/**
 * One instance's shell: xterm.js in the page, Socket.IO `/terminal` to the orchestrator.
 * Stays mounted while hidden so switching instances keeps the connection.
 */
export function TerminalView({ sessionId, instanceId, visible }: { sessionId: string; instanceId: string; visible: boolean }) {
  // A click-to-run block arrives as if typed, while (and only while) the shell is attached,
  // so a sender can tell from typeIntoTerminal's answer whether it was delivered.
  const attach = useCallback(
    (socket: TerminalSocket, term: Terminal) => {
      let offTyped: (() => void) | undefined;
      socket.on('connect', () => {
        offTyped?.();
        offTyped = onTypedInput(instanceId, (text) => {
          for (const chunk of splitInput(text)) socket.emit('input', chunk);
          term.focus();
        });
      });
      socket.on('disconnect', () => {
        offTyped?.();
        offTyped = undefined;
      });
      return () => offTyped?.();
    },
    [instanceId],
  );
  // The shell's welcome text is in the page's language (the first viewer's, when it starts).
  const locale = useLocale();
  const lang = isLocale(locale) ? locale : undefined;
  const { hostRef, status, restart, fit, focus } = useTerminalSocket({
    key: `${sessionId}/${instanceId}`,
    auth: ({ cols, rows }) => ({ sessionId, instanceId, cols, rows, lang }) satisfies TerminalAuth,
    sendsResize: true,
    attach,
  });

  useEffect(() => {
    if (!visible) return;
    fit();
    focus();
  }, [visible, fit, focus]);

  return (
    <div className="terminal-shell" hidden={!visible} data-instance-id={instanceId}>
      <div ref={hostRef} className="terminal-host" data-testid={visible ? 'terminal' : undefined} />
      <TerminalOverlay status={status} onRestart={restart} />
    </div>
  );
}
