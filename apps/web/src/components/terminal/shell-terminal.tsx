'use client';

import type { TerminalAuth } from '@playground/contracts';
import { useLocale } from 'next-intl';
import { useCallback, useEffect, useState, type MouseEvent } from 'react';
import { isLocale } from '@/i18n/locales';
import { onTypedInput } from '@/lib/terminal-input';
import type { TerminalAction } from '@/lib/terminal-shortcuts';
import { TerminalContextMenu } from './terminal-context-menu';
import { TerminalOverlay } from './terminal-overlay';
import { TerminalSearchBar } from './terminal-search-bar';
import { useTerminalPreferences } from './use-terminal-preferences';
import { useTerminalSocket } from './use-terminal-socket';

/**
 * One shell of an instance (a tab): xterm.js in the page, Socket.IO `/terminal` to the
 * orchestrator, with search and the right-click menu. Stays mounted while hidden so switching
 * tabs or instances keeps the connection and the screen.
 */
export function ShellTerminal({
  sessionId,
  instanceId,
  shell,
  front,
  visible,
  searching,
  onSearch,
  onAction,
  registerClose,
}: {
  sessionId: string;
  instanceId: string;
  shell: number;
  /** The tab in front of its instance (shown when the instance is). */
  front: boolean;
  visible: boolean;
  searching: boolean;
  onSearch: (open: boolean) => void;
  onAction: (action: TerminalAction) => void;
  /** Gives the tab bar the way to end this shell on its node (a closed tab). */
  registerClose: (shell: number, close: (() => void) | null) => void;
}) {
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  const { preferences } = useTerminalPreferences();
  const onTerminalAction = useCallback(
    (action: TerminalAction) => (action === 'search' ? onSearch(true) : onAction(action)),
    [onAction, onSearch],
  );
  // The shell's welcome text is in the page's language (the first viewer's, when it starts).
  const locale = useLocale();
  const lang = isLocale(locale) ? locale : undefined;
  const { hostRef, termRef, searchRef, status, notice, setNotice, restart, fit, focus, copy, paste, send, closeShell } = useTerminalSocket({
    key: `${sessionId}/${instanceId}/${shell}`,
    instanceId,
    auth: ({ cols, rows }) => ({ sessionId, instanceId, shell, cols, rows, lang }) satisfies TerminalAuth,
    sendsResize: true,
    onAction: onTerminalAction,
  });

  useEffect(() => {
    registerClose(shell, closeShell);
    return () => registerClose(shell, null);
  }, [shell, closeShell, registerClose]);

  useEffect(() => {
    if (!visible) return;
    fit();
    focus();
  }, [visible, fit, focus]);

  // A click-to-run block goes to the instance's tab in front (even while another instance is
  // shown: the lab switches to it as it types), while (and only while) its shell is attached,
  // so a sender can tell from typeIntoTerminal's answer whether it was delivered.
  const connected = status.kind === 'connected';
  useEffect(() => {
    if (!front || !connected) return;
    return onTypedInput(instanceId, (text) => {
      send(text);
      focus();
    });
  }, [front, connected, instanceId, send, focus]);

  const openMenu = (event: MouseEvent) => {
    event.preventDefault();
    setMenuAt({ x: event.clientX, y: event.clientY });
  };
  const closeMenu = useCallback(() => setMenuAt(null), []);

  return (
    <div className="terminal-shell" hidden={!visible} data-instance-id={instanceId} data-shell={shell} onContextMenu={openMenu}>
      <div ref={hostRef} className="terminal-host" data-testid={visible ? 'terminal' : undefined} />
      {searching ? (
        <TerminalSearchBar
          search={searchRef}
          theme={preferences.theme}
          onClose={() => {
            onSearch(false);
            focus();
          }}
        />
      ) : null}
      {menuAt ? (
        <TerminalContextMenu
          at={menuAt}
          canCopy={termRef.current?.hasSelection() ?? false}
          onClose={closeMenu}
          actions={{
            copy: () => {
              copy();
              focus();
            },
            paste: () => void paste(),
            selectAll: () => termRef.current?.selectAll(),
            search: () => onSearch(true),
            clear: () => {
              termRef.current?.clear();
              focus();
            },
          }}
        />
      ) : null}
      {notice ? (
        <div className="terminal-notice" role="alert" data-testid="terminal-notice">
          <span>{notice}</span>
          <button type="button" className="icon-btn" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <TerminalOverlay status={status} onRestart={restart} />
    </div>
  );
}
