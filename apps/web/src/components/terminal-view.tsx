'use client';

import type { TerminalAuth, TerminalClientToServer, TerminalServerToClient } from '@playground/contracts';
import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import { io, type Socket } from 'socket.io-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { splitInput } from '@/lib/split-input';
import { onTypedInput } from '@/lib/terminal-input';
import { isRetryableDisconnect, isRetryableExit, isRetryableRefusal, retryDelayMs } from '@/lib/terminal-retry';

type TerminalSocket = Socket<TerminalServerToClient, TerminalClientToServer>;

type Status =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; message?: string }
  /** The shell ended, or the server refused/closed the connection and will not retry. */
  | { kind: 'ended'; message: string };

const THEME = {
  background: '#05080c',
  foreground: '#d8e0ea',
  cursor: '#38bdf8',
  cursorAccent: '#05080c',
  selectionBackground: '#264f78',
  black: '#1b2430',
  red: '#f87171',
  green: '#4ade80',
  yellow: '#fbbf24',
  blue: '#60a5fa',
  magenta: '#c084fc',
  cyan: '#22d3ee',
  white: '#d8e0ea',
  brightBlack: '#5a6a7d',
  brightRed: '#fca5a5',
  brightGreen: '#86efac',
  brightYellow: '#fde68a',
  brightBlue: '#93c5fd',
  brightMagenta: '#d8b4fe',
  brightCyan: '#67e8f9',
  brightWhite: '#ffffff',
};

const RESIZE_DEBOUNCE_MS = 80;

function copyToClipboard(text: string): void {
  if (!text) return;
  // The async clipboard needs a secure context (https or localhost); elsewhere copying
  // silently does nothing rather than bothering the learner with an error.
  navigator.clipboard?.writeText(text).catch(() => undefined);
}

/**
 * One instance's shell: xterm.js in the page, Socket.IO `/terminal` to the orchestrator.
 * Stays mounted while hidden so switching instances keeps the connection.
 */
export function TerminalView({ sessionId, instanceId, visible }: { sessionId: string; instanceId: string; visible: boolean }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const socketRef = useRef<TerminalSocket | null>(null);
  /** Our own retry (Socket.IO does not retry a refused handshake or a server-side close). */
  const retryRef = useRef<{ timer?: ReturnType<typeof setTimeout>; attempt: number }>({ attempt: 0 });
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });

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

      const term = new Terminal({
        cursorBlink: true,
        fontFamily: "ui-monospace, 'JetBrains Mono', 'Fira Code', 'Cascadia Code', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
        fontSize: 14,
        lineHeight: 1.15,
        scrollback: 5000,
        theme: THEME,
        macOptionIsMeta: true,
        rightClickSelectsWord: true,
      });
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
        auth: (cb) => cb({ sessionId, instanceId, cols: term.cols, rows: term.rows } satisfies TerminalAuth),
      });
      socketRef.current = socket;
      let exited = false;
      const retry = retryRef.current;
      const scheduleRetry = (message?: string) => {
        clearTimeout(retry.timer);
        setStatus({ kind: 'reconnecting', message });
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

      // A click-to-run block arrives as if typed, while (and only while) the shell is attached,
      // so a sender can tell from typeIntoTerminal's answer whether it was delivered.
      let offTyped: (() => void) | undefined;
      socket.on('connect', () => {
        offTyped?.();
        offTyped = onTypedInput(instanceId, (text) => {
          for (const chunk of splitInput(text)) socket.emit('input', chunk);
          term.focus();
        });
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
        const suffix = code === null || code === undefined ? '' : ` (exit code ${code})`;
        setStatus({ kind: 'ended', message: `${reason || 'The shell ended.'}${suffix}` });
      });
      socket.on('disconnect', (reason) => {
        offTyped?.();
        offTyped = undefined;
        if (exited || reason === 'io client disconnect') return;
        if (isRetryableDisconnect(reason, exited)) return scheduleRetry();
        if (socket.active) setStatus({ kind: 'reconnecting' });
        else setStatus({ kind: 'ended', message: 'The terminal was disconnected.' });
      });
      socket.on('connect_error', (err) => {
        // `active` false means the server refused us (not a network blip): no auto-retry,
        // unless it said the refusal is passing (the node is reconnecting).
        if (socket.active) setStatus({ kind: 'reconnecting' });
        else if (isRetryableRefusal(err)) scheduleRetry(err.message);
        else setStatus({ kind: 'ended', message: err.message || 'The terminal could not connect.' });
      });

      const onData = term.onData((data) => {
        if (!socket.connected) return; // keystrokes typed while offline would land out of context
        for (const chunk of splitInput(data)) socket.emit('input', chunk);
      });
      const onResize = term.onResize(({ cols, rows }) => {
        if (socket.connected) socket.emit('resize', { cols, rows });
      });
      const onSelection = term.onSelectionChange(() => copyToClipboard(term.getSelection()));
      cleanups.push(() => {
        onData.dispose();
        offTyped?.();
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
  }, [sessionId, instanceId, fit]);

  useEffect(() => {
    if (!visible) return;
    fit();
    termRef.current?.focus();
  }, [visible, fit]);

  const restart = useCallback(() => {
    const socket = socketRef.current;
    if (!socket) return;
    clearTimeout(retryRef.current.timer);
    retryRef.current.attempt = 0;
    setStatus({ kind: 'connecting' });
    socket.disconnect();
    socket.connect();
  }, []);

  return (
    <div className="terminal-shell" hidden={!visible} data-instance-id={instanceId}>
      <div ref={hostRef} className="terminal-host" data-testid={visible ? 'terminal' : undefined} />
      {status.kind === 'reconnecting' ? (
        <div className="terminal-overlay" role="status" data-testid="terminal-status">
          <span className="spinner" aria-hidden="true" /> Reconnecting…
          {status.message ? <span className="terminal-status-detail">{status.message}</span> : null}
          <button type="button" className="btn" onClick={restart} data-testid="retry-terminal">
            Retry now
          </button>
        </div>
      ) : null}
      {status.kind === 'connecting' ? (
        <div className="terminal-overlay" role="status" data-testid="terminal-status">
          <span className="spinner" aria-hidden="true" /> Connecting…
        </div>
      ) : null}
      {status.kind === 'ended' ? (
        <div className="terminal-overlay ended" role="status" data-testid="terminal-status">
          <span>{status.message}</span>
          <button type="button" className="btn" onClick={restart} data-testid="restart-shell">
            Restart shell
          </button>
        </div>
      ) : null}
    </div>
  );
}
