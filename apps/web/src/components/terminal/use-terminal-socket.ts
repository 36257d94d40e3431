'use client';

import { TERMINAL_INSTANCE_QUERY, type TerminalClientToServer, type TerminalServerToClient } from '@playground/contracts';
import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import { useLocale, useTranslations } from 'next-intl';
import type { SearchAddon } from '@xterm/addon-search';
import { io, type Socket } from 'socket.io-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { splitInput } from '@/lib/split-input';
import { shortcutFor, type TerminalAction } from '@/lib/terminal-shortcuts';
import { isRetryableDisconnect, isRetryableExit, isRetryableRefusal, retryDelayMs } from '@/lib/terminal-retry';
import { TERMINAL_OPTIONS, TERMINAL_THEMES } from './terminal-theme';
import { useTerminalPreferences } from './use-terminal-preferences';

// xterm.js in the page joined to Socket.IO `/terminal`: what the learner's own terminal and the
// instructor's watch view share (the screen, the connection, its retries and status). Each
// caller adds what is its own through `attach` (typed lab blocks; a watcher's control events).

export type TerminalSocket = Socket<TerminalServerToClient, TerminalClientToServer>;

export type TerminalStatus =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; message?: string }
  /** The shell ended, or the server refused/closed the connection and will not retry. */
  | { kind: 'ended'; message: string };

/** The largest screen a size-following terminal takes (a 4K display at a small font is ~400×120). */
const FOLLOWED_MAX = { cols: 500, rows: 200 };

export interface TerminalSocketOptions {
  /** The terminal is made anew when this changes (e.g. another instance). */
  key: string;
  /** The instance whose shell this is: named in the handshake URL so the edge can send the socket to the replica holding its node's link. */
  instanceId: string;
  /** The handshake, asked at every (re)connect with the terminal's current size. */
  auth: (size: { cols: number; rows: number }) => Record<string, unknown>;
  /** Whether this terminal's size is the shell's (a watcher must not resize the learner's shell). */
  sendsResize: boolean;
  /**
   * The other way round: the terminal takes the shell's size, which the server sends as
   * `CSI 8 ; rows ; cols t` (a watcher, so that the learner's screen is drawn at the width it
   * was written for). It fits its frame only until the first such size arrives.
   */
  followsShellSize?: boolean;
  /** Wires what this kind of terminal adds to its socket, once per socket; returns its cleanup. */
  attach?: (socket: TerminalSocket, term: Terminal) => () => void;
  /** Shortcuts this kind of terminal offers beyond copy, paste and font size (search, help, tabs…). */
  onAction?: (action: TerminalAction) => void;
}

const RESIZE_DEBOUNCE_MS = 80;

function copyToClipboard(text: string): void {
  if (!text) return;
  // The async clipboard needs a secure context (https or localhost); elsewhere copying
  // silently does nothing rather than bothering the learner with an error.
  navigator.clipboard?.writeText(text).catch(() => undefined);
}

/** Why a paste from our menu or Shift+Insert did not happen; the browser's own paste still works. */

/**
 * OSC 52 from programs in the instance (tmux, vim, …): they may set the learner's clipboard,
 * never read it, since a program in a shared playground reading whatever the learner copied
 * elsewhere would be a leak.
 */
const WRITE_ONLY_CLIPBOARD = {
  readText: () => '',
  writeText: (_selection: string, text: string) => copyToClipboard(text),
};

export function useTerminalSocket(options: TerminalSocketOptions) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const socketRef = useRef<TerminalSocket | null>(null);
  // The latest callbacks, so a re-render does not make a new terminal; only `key` does.
  const optionsRef = useRef(options);
  optionsRef.current = options;
  /** Our own retry (Socket.IO does not retry a refused handshake or a server-side close). */
  const retryRef = useRef<{ timer?: ReturnType<typeof setTimeout>; attempt: number }>({ attempt: 0 });
  const [status, setStatus] = useState<TerminalStatus>({ kind: 'connecting' });
  // The server's reasons are English: other languages say the translated general case.
  const t = useTranslations('terminal');
  const english = useLocale() === 'en';
  const wordsRef = useRef({ t, english });
  const toolWords = useTranslations('terminalTools');
  const toolWordsRef = useRef(toolWords);
  toolWordsRef.current = toolWords;
  wordsRef.current = { t, english };
  const said = (reason: string | undefined, fallback: 'ended' | 'disconnected' | 'refused') =>
    reason && wordsRef.current.english ? reason : wordsRef.current.t(fallback);
  const [notice, setNotice] = useState<string | null>(null);
  const { preferences, stepFont } = useTerminalPreferences();
  const preferencesRef = useRef(preferences);
  preferencesRef.current = preferences;
  const stepFontRef = useRef(stepFont);
  stepFontRef.current = stepFont;

  /** Set once the shell's size arrived, for a terminal that follows it. */
  const sizedByShellRef = useRef(false);
  const fit = useCallback(() => {
    const host = hostRef.current;
    // A hidden terminal measures 0×0; fitting then would shrink the remote shell to 2×2.
    if (!host || host.clientWidth === 0 || host.clientHeight === 0 || sizedByShellRef.current) return;
    try {
      fitRef.current?.fit();
    } catch {
      // The renderer may not be measured yet; the next resize fits it.
    }
  }, []);

  const focus = useCallback(() => termRef.current?.focus(), []);

  const copy = useCallback(() => {
    const term = termRef.current;
    if (term?.hasSelection()) copyToClipboard(term.getSelection());
  }, []);

  const paste = useCallback(async () => {
    const term = termRef.current;
    if (!term) return;
    try {
      const text = await navigator.clipboard.readText();
      setNotice(null);
      // paste(), not the socket: bracketed paste mode is honoured, as for a keyboard paste.
      if (text) term.paste(text);
    } catch {
      setNotice(toolWordsRef.current('pasteRefused'));
    }
    term.focus();
  }, []);
  const pasteRef = useRef(paste);
  pasteRef.current = paste;

  // The learner's size and colours, now and whenever they change (from any terminal or tab).
  useEffect(() => {
    const term = termRef.current;
    if (!term) return;
    term.options.fontSize = preferences.fontSize;
    term.options.theme = TERMINAL_THEMES[preferences.theme];
    fit();
  }, [preferences, fit]);

  const { key } = options;
  useEffect(() => {
    let disposed = false;
    const cleanups: Array<() => void> = [];

    void (async () => {
      // xterm touches `window` when loaded, so it is loaded in the browser only.
      const [{ Terminal }, { FitAddon }, { WebLinksAddon }, { SearchAddon }, { ClipboardAddon }, { Unicode11Addon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
        import('@xterm/addon-web-links'),
        import('@xterm/addon-search'),
        import('@xterm/addon-clipboard'),
        import('@xterm/addon-unicode11'),
      ]);
      const host = hostRef.current;
      if (disposed || !host) return;

      const { fontSize, theme } = preferencesRef.current;
      const follows = optionsRef.current.followsShellSize === true;
      sizedByShellRef.current = false;
      // xterm.js parses "CSI 8 ; rows ; cols t" but leaves acting on it to the page, and hands
      // it to the page's handler only when its window option allows it (else it is dropped).
      const term = new Terminal({ ...TERMINAL_OPTIONS, fontSize, theme: TERMINAL_THEMES[theme], windowOptions: { setWinSizeChars: follows } });
      if (follows) {
        term.parser.registerCsiHandler({ final: 't' }, (params) => {
          const [op, rows, cols] = params.map((param) => (typeof param === 'number' ? param : (param[0] ?? 0)));
          if (op !== 8 || !rows || !cols) return false;
          // Any program in the learner's shell can print the sequence too: a size no real
          // screen has would only cost the watcher's browser memory.
          sizedByShellRef.current = true;
          term.resize(Math.min(cols, FOLLOWED_MAX.cols), Math.min(rows, FOLLOWED_MAX.rows));
          return true;
        });
      }
      const fitAddon = new FitAddon();
      const searchAddon = new SearchAddon();
      term.loadAddon(fitAddon);
      term.loadAddon(searchAddon);
      term.loadAddon(new WebLinksAddon());
      term.loadAddon(new ClipboardAddon(undefined, WRITE_ONLY_CLIPBOARD));
      // Unicode 11 widths: Hangul, CJK and emoji take the two cells bash and vim count for them.
      term.loadAddon(new Unicode11Addon());
      term.unicode.activeVersion = '11';
      term.open(host);
      termRef.current = term;
      fitRef.current = fitAddon;
      searchRef.current = searchAddon;
      cleanups.push(() => {
        termRef.current = null;
        fitRef.current = null;
        searchRef.current = null;
        term.dispose();
      });
      fit();

      const socket: TerminalSocket = io('/terminal', {
        transports: ['websocket'],
        query: { [TERMINAL_INSTANCE_QUERY]: optionsRef.current.instanceId },
        // A function, so every reconnect sends the terminal's current size.
        auth: (cb) => cb(optionsRef.current.auth({ cols: term.cols, rows: term.rows })),
      });
      socketRef.current = socket;
      let exited = false;
      const retry = retryRef.current;
      const scheduleRetry = (message?: string) => {
        clearTimeout(retry.timer);
        setStatus({ kind: 'reconnecting', message: wordsRef.current.english ? message : undefined });
        retry.timer = setTimeout(() => {
          if (disposed) return;
          if (socket.connected) socket.disconnect(); // the server's own close may still be on its way
          socket.connect();
        }, retryDelayMs(retry.attempt++));
      };
      cleanups.push(() => {
        clearTimeout(retry.timer);
        socketRef.current = null;
        socket.removeAllListeners();
        socket.disconnect();
      });

      socket.on('connect', () => {
        exited = false;
        retry.attempt = 0;
        clearTimeout(retry.timer);
        // The server replays the recent screen right after connecting; start from blank.
        term.reset();
        setStatus({ kind: 'connected' });
      });
      socket.on('output', (data) => {
        const bytes = data as unknown;
        term.write(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : (data as string | Uint8Array));
      });
      socket.on('exit', (info) => {
        const { code, reason } = info;
        exited = true;
        // The link to the node broke, the shell probably lives: come back by ourselves.
        if (isRetryableExit(info)) return scheduleRetry(reason);
        // An extra shell nobody had open for long was ended on its node: said in the page's language.
        if (typeof info.idleMinutes === 'number') return setStatus({ kind: 'ended', message: wordsRef.current.t('idleClosed', { minutes: info.idleMinutes }) });
        const suffix = code === null || code === undefined ? '' : ` ${wordsRef.current.t('exitCode', { code })}`;
        setStatus({ kind: 'ended', message: `${said(reason, 'ended')}${suffix}` });
      });
      socket.on('disconnect', (reason) => {
        if (exited || reason === 'io client disconnect') return;
        if (isRetryableDisconnect(reason, exited)) return scheduleRetry();
        if (socket.active) setStatus({ kind: 'reconnecting' });
        else setStatus({ kind: 'ended', message: said(undefined, 'disconnected') });
      });
      socket.on('connect_error', (err) => {
        // `active` false means the server refused us (not a network blip): no auto-retry,
        // unless it said the refusal is passing (the node is reconnecting).
        if (socket.active) setStatus({ kind: 'reconnecting' });
        else if (isRetryableRefusal(err)) scheduleRetry(err.message);
        else setStatus({ kind: 'ended', message: said(err.message, 'refused') });
      });
      const detach = optionsRef.current.attach?.(socket, term);
      if (detach) cleanups.push(detach);

      const onData = term.onData((data) => {
        if (!socket.connected) return; // keystrokes typed while offline would land out of context
        for (const chunk of splitInput(data)) socket.emit('input', chunk);
      });
      // Its size, for whoever needs to know what the screen shows (tests, a curious reader).
      host.dataset.cols = String(term.cols);
      host.dataset.rows = String(term.rows);
      const onResize = term.onResize(({ cols, rows }) => {
        host.dataset.cols = String(cols);
        host.dataset.rows = String(rows);
        if (socket.connected && optionsRef.current.sendsResize) socket.emit('resize', { cols, rows });
      });
      const onSelection = term.onSelectionChange(() => copyToClipboard(term.getSelection()));
      cleanups.push(() => {
        onData.dispose();
        onResize.dispose();
        onSelection.dispose();
      });

      term.attachCustomKeyEventHandler((event) => {
        const action = shortcutFor(event);
        if (!action) return true;
        // xterm sees keyup and keypress too: only keydown acts, but none of them reaches the shell.
        if (event.type !== 'keydown') return false;
        // Let the browser run its own paste: xterm's paste listener sends it to the shell.
        if (action === 'paste' && event.code === 'KeyV') return false;
        const { onAction } = optionsRef.current;
        const own = action === 'copy' || action === 'paste' || action.startsWith('font');
        if (!own && !onAction) return true; // a shortcut this terminal does not offer: the key is the shell's
        event.preventDefault(); // Chrome would zoom the page, or open the inspector on Ctrl+Shift+C
        if (action === 'copy') copyToClipboard(term.getSelection());
        else if (action === 'paste') void pasteRef.current();
        else if (action === 'fontBigger') stepFontRef.current(1);
        else if (action === 'fontSmaller') stepFontRef.current(-1);
        else if (action === 'fontReset') stepFontRef.current(0);
        else onAction?.(action);
        return false;
      });

      let resizeTimer: ReturnType<typeof setTimeout> | undefined;
      const observer = new ResizeObserver(() => {
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(fit, RESIZE_DEBOUNCE_MS);
      });
      observer.observe(host);
      cleanups.push(() => {
        clearTimeout(resizeTimer);
        observer.disconnect();
      });
    })();

    return () => {
      disposed = true;
      for (const cleanup of cleanups.reverse()) cleanup();
    };
  }, [key, fit]);

  const restart = useCallback(() => {
    const socket = socketRef.current;
    if (!socket) return;
    clearTimeout(retryRef.current.timer);
    retryRef.current.attempt = 0;
    setStatus({ kind: 'connecting' });
    socket.disconnect();
    socket.connect();
  }, []);

  const closeShell = useCallback(() => socketRef.current?.emit('closeShell'), []);

  /** Text as if typed (a lab's click-to-run block). */
  const send = useCallback((text: string) => {
    const socket = socketRef.current;
    if (!socket?.connected) return;
    for (const chunk of splitInput(text)) socket.emit('input', chunk);
  }, []);

  return { hostRef, termRef, searchRef, status, notice, setNotice, restart, fit, focus, copy, paste, send, closeShell };
}
