'use client';

import type { TerminalClientToServer, TerminalServerToClient } from '@playground/contracts';
import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import { useLocale, useTranslations } from 'next-intl';
import { io, type Socket } from 'socket.io-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { splitInput } from '@/lib/split-input';
import { isRetryableDisconnect, isRetryableExit, isRetryableRefusal, retryDelayMs } from '@/lib/terminal-retry';
import { TERMINAL_OPTIONS } from './terminal-theme';

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

export interface TerminalSocketOptions {
  /** The terminal is made anew when this changes (e.g. another instance). */
  key: string;
  /** The handshake, asked at every (re)connect with the terminal's current size. */
  auth: (size: { cols: number; rows: number }) => Record<string, unknown>;
  /** Whether this terminal's size is the shell's (a watcher must not resize the learner's shell). */
  sendsResize: boolean;
  /** Wires what this kind of terminal adds to its socket, once per socket; returns its cleanup. */
  attach?: (socket: TerminalSocket, term: Terminal) => () => void;
}

const RESIZE_DEBOUNCE_MS = 80;

function copyToClipboard(text: string): void {
  if (!text) return;
  // The async clipboard needs a secure context (https or localhost); elsewhere copying
  // silently does nothing rather than bothering the learner with an error.
  navigator.clipboard?.writeText(text).catch(() => undefined);
}

export function useTerminalSocket(options: TerminalSocketOptions) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
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
  wordsRef.current = { t, english };
  const said = (reason: string | undefined, fallback: 'ended' | 'disconnected' | 'refused') =>
    reason && wordsRef.current.english ? reason : wordsRef.current.t(fallback);

  const fit = useCallback(() => {
    const host = hostRef.current;
    // A hidden terminal measures 0×0; fitting then would shrink the remote shell to 2×2.
    if (!host || host.clientWidth === 0 || host.clientHeight === 0) return;
    try {
      fitRef.current?.fit();
    } catch {
      // The renderer may not be measured yet; the next resize fits it.
    }
  }, []);

  const focus = useCallback(() => termRef.current?.focus(), []);

  const { key } = options;
  useEffect(() => {
    let disposed = false;
    const cleanups: Array<() => void> = [];

    void (async () => {
      // xterm touches `window` when loaded, so it is loaded in the browser only.
      const [{ Terminal }, { FitAddon }, { WebLinksAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
        import('@xterm/addon-web-links'),
      ]);
      const host = hostRef.current;
      if (disposed || !host) return;

      const term = new Terminal(TERMINAL_OPTIONS);
      const fitAddon = new FitAddon();
      term.loadAddon(fitAddon);
      term.loadAddon(new WebLinksAddon());
      term.open(host);
      termRef.current = term;
      fitRef.current = fitAddon;
      cleanups.push(() => {
        termRef.current = null;
        fitRef.current = null;
        term.dispose();
      });
      fit();

      const socket: TerminalSocket = io('/terminal', {
        transports: ['websocket'],
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
      const onResize = term.onResize(({ cols, rows }) => {
        if (socket.connected && optionsRef.current.sendsResize) socket.emit('resize', { cols, rows });
      });
      const onSelection = term.onSelectionChange(() => copyToClipboard(term.getSelection()));
      cleanups.push(() => {
        onData.dispose();
        onResize.dispose();
        onSelection.dispose();
      });

      term.attachCustomKeyEventHandler((event) => {
        if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
        if (event.code === 'KeyC') {
          copyToClipboard(term.getSelection());
          event.preventDefault(); // Chrome would open the element inspector
          return false;
        }
        if (event.code === 'KeyV') {
          // Let the browser run its own paste: xterm's paste listener sends it to the shell.
          return false;
        }
        return true;
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

  return { hostRef, status, restart, fit, focus };
}
