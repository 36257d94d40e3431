'use client';

import { MAIN_SHELL } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { nextShellNumber, parseOpenShells, tabLabel, tabsStorageKey } from '@/lib/terminal-tabs';
import type { TerminalAction } from '@/lib/terminal-shortcuts';
import { ShellTerminal } from './terminal/shell-terminal';
import { TerminalHelp } from './terminal/terminal-help';
import { useTerminalPreferences } from './terminal/use-terminal-preferences';

/**
 * One instance's terminals: its main shell and the learner's extra shells as tabs, with the
 * toolbar (text size, theme, search, full screen, shortcuts). The extra tabs are remembered
 * in the browser, so a reload re-attaches to the same shells and replays their screens.
 */
export function TerminalView({ sessionId, instanceId, visible }: { sessionId: string; instanceId: string; visible: boolean }) {
  const storageKey = tabsStorageKey(sessionId, instanceId);
  const [extra, setExtra] = useState<number[]>([]);
  const [front, setFront] = useState(MAIN_SHELL);
  const [searching, setSearching] = useState<number | null>(null);
  const [help, setHelp] = useState(false);
  const [fullscreen, setFullscreen] = useState(false);
  const pane = useRef<HTMLDivElement>(null);
  const closers = useRef(new Map<number, () => void>());
  const { preferences, stepFont, setTheme } = useTerminalPreferences();
  const t = useTranslations('terminalTools');

  // Read after mounting: the server render knows nothing of this browser's storage.
  useEffect(() => {
    setExtra(parseOpenShells(readStored(storageKey)));
  }, [storageKey]);

  const saveTabs = useCallback(
    (shells: number[]) => {
      setExtra(shells);
      writeStored(storageKey, JSON.stringify(shells));
    },
    [storageKey],
  );

  const addTab = useCallback(() => {
    const shell = nextShellNumber(extra);
    saveTabs([...extra, shell].sort((a, b) => a - b));
    setFront(shell);
  }, [extra, saveTabs]);

  const closeTab = (shell: number) => {
    closers.current.get(shell)?.();
    saveTabs(extra.filter((n) => n !== shell));
    if (front === shell) setFront(MAIN_SHELL);
    if (searching === shell) setSearching(null);
  };

  const registerClose = useCallback((shell: number, close: (() => void) | null) => {
    if (close) closers.current.set(shell, close);
    else closers.current.delete(shell);
  }, []);

  const toggleFullscreen = useCallback(() => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void pane.current?.requestFullscreen().catch(() => undefined); // refused (iframe without allowfullscreen): the button does nothing
  }, []);
  useEffect(() => {
    const changed = () => setFullscreen(document.fullscreenElement === pane.current);
    document.addEventListener('fullscreenchange', changed);
    return () => document.removeEventListener('fullscreenchange', changed);
  }, []);

  const onAction = useCallback(
    (action: TerminalAction) => {
      if (action === 'help') setHelp(true);
      else if (action === 'fullscreen') toggleFullscreen();
      else if (action === 'newTab') addTab();
    },
    [toggleFullscreen, addTab],
  );

  const shells = [MAIN_SHELL, ...extra];
  return (
    <div ref={pane} className="terminal-pane" hidden={!visible} data-theme={preferences.theme} data-testid={visible ? 'terminal-pane' : undefined}>
      <div className="terminal-bar">
        <div className="terminal-tabs" role="tablist" aria-label={t('shells')}>
          {shells.map((shell) => (
            <div key={shell} className={`terminal-tab${shell === front ? ' active' : ''}`}>
              <button
                type="button"
                role="tab"
                aria-selected={shell === front}
                onClick={() => setFront(shell)}
                data-testid="terminal-tab"
                title={shell === MAIN_SHELL ? t('mainShell') : t('shell', { n: tabLabel(shell) })}
              >
                {tabLabel(shell)}
              </button>
              {shell === MAIN_SHELL ? null : (
                <button type="button" className="terminal-tab-close" onClick={() => closeTab(shell)} aria-label={t('closeShell', { n: tabLabel(shell) })} data-testid="terminal-tab-close">
                  ×
                </button>
              )}
            </div>
          ))}
          <button type="button" className="terminal-tab-add" onClick={addTab} aria-label={t('newShell')} title={t('newShellTitle')} data-testid="terminal-tab-add">
            +
          </button>
        </div>
        <div className="terminal-tools">
          <button type="button" onClick={() => stepFont(-1)} aria-label={t('smaller')} title={t('smallerTitle')} data-testid="terminal-font-smaller">
            A−
          </button>
          <span className="terminal-font-size" data-testid="terminal-font-size" title={t('textSize')}>
            {preferences.fontSize}
          </span>
          <button type="button" onClick={() => stepFont(1)} aria-label={t('bigger')} title={t('biggerTitle')} data-testid="terminal-font-bigger">
            A+
          </button>
          <button
            type="button"
            onClick={() => setTheme(preferences.theme === 'dark' ? 'light' : 'dark')}
            aria-label={preferences.theme === 'dark' ? t('lightTheme') : t('darkTheme')}
            title={preferences.theme === 'dark' ? t('toLight') : t('toDark')}
            data-testid="terminal-theme"
          >
            {preferences.theme === 'dark' ? '☀' : '☾'}
          </button>
          <button type="button" onClick={() => setSearching(front)} aria-label={t('search')} title={t('searchTitle')} data-testid="terminal-search-open">
            ⌕
          </button>
          <button type="button" onClick={toggleFullscreen} aria-label={fullscreen ? t('leaveFullscreen') : t('fullscreen')} title={t('fullscreenTitle')} data-testid="terminal-fullscreen">
            {fullscreen ? '⤡' : '⤢'}
          </button>
          <button type="button" onClick={() => setHelp(true)} aria-label={t('shortcuts')} title={t('shortcutsTitle')} data-testid="terminal-help-open">
            ?
          </button>
        </div>
      </div>
      <div className="terminal-body">
        {shells.map((shell) => (
          <ShellTerminal
            key={shell}
            sessionId={sessionId}
            instanceId={instanceId}
            shell={shell}
            front={shell === front}
            visible={visible && shell === front}
            searching={searching === shell}
            onSearch={(open) => setSearching(open ? shell : null)}
            onAction={onAction}
            registerClose={registerClose}
          />
        ))}
      </div>
      {help ? <TerminalHelp onClose={() => setHelp(false)} /> : null}
    </div>
  );
}

function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage refused (privacy mode): the tabs last until the page is left
  }
}
