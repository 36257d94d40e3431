import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

// One interface for the two ways the benchmark reaches a shell: through the playground
// (Socket.IO `/terminal` → orchestrator → agent → docker exec PTY) and directly (a docker
// exec PTY opened by the benchmark, the floor). Every probe below runs unchanged on both,
// so a ratio compares the same keystrokes and the same bytes.

export interface ByteTerminal {
  write(data: string): void;
  /** Subscribes to output bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  close(): void;
}

export class TerminalTimeoutError extends Error {
  readonly code = 'terminal_timeout';
}

export interface StackTerminal extends ByteTerminal {
  socket: Socket;
  /** ms from calling open to the socket's `connect`. */
  connectedAfterMs: Promise<number>;
  /** Stops/starts reading the websocket's TCP socket (a slow browser). */
  pauseReading(): void;
  resumeReading(): void;
}

/** Opens a terminal viewer on the orchestrator's `/terminal` namespace, as a browser does. */
export function openStackTerminal(orchestratorUrl: string, auth: { sessionId: string; instanceId: string }): StackTerminal {
  const started = performance.now();
  const socket = io(`${orchestratorUrl}/terminal`, {
    auth: { ...auth, cols: 120, rows: 40 },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
  });
  const listeners = new Set<(chunk: Buffer) => void>();
  socket.on('output', (data: string | Uint8Array | ArrayBuffer) => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    for (const listener of listeners) listener(chunk);
  });
  const connectedAfterMs = new Promise<number>((resolve, reject) => {
    socket.once('connect', () => resolve(performance.now() - started));
    socket.once('connect_error', (error) => reject(new Error(`the terminal was refused: ${error.message}`)));
  });
  connectedAfterMs.catch(() => undefined);
  // The engine.io websocket transport wraps a `ws` WebSocket, whose pause() stops reading its TCP socket.
  const websocket = () => (socket.io.engine?.transport as unknown as { ws?: { pause(): void; resume(): void } } | undefined)?.ws;
  return {
    socket,
    connectedAfterMs,
    write: (data) => void socket.emit('input', data),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => void socket.close(),
    pauseReading: () => websocket()?.pause(),
    resumeReading: () => websocket()?.resume(),
  };
}

// ESC [ … final, ESC ] … BEL/ST, other two-byte escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** A bash prompt of the instance image (`user@host:dir# `) at the end of the text seen so far. */
export function endsWithPrompt(text: string): boolean {
  return /@[\w.-]+:[^\n]*[#$] $/.test(stripAnsi(text));
}

/**
 * Resolves with the ms elapsed (from `since`) when the text received so far satisfies `done`.
 * Also reports when the first byte arrived.
 */
export function waitForOutput(
  terminal: ByteTerminal,
  done: (text: string) => boolean,
  timeoutMs: number,
  what: string,
  since = performance.now(),
): Promise<{ ms: number; firstByteMs: number; text: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let firstByteMs = -1;
    const timer = setTimeout(() => {
      off();
      reject(new TerminalTimeoutError(`no ${what} within ${timeoutMs} ms (last output: ${JSON.stringify(stripAnsi(text).slice(-120))})`));
    }, timeoutMs);
    const off = terminal.onData((chunk) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - since;
      // Only the tail matters to every check here; bound what is kept.
      text = (text + chunk.toString('latin1')).slice(-8192);
      if (done(text)) {
        clearTimeout(timer);
        off();
        resolve({ ms: performance.now() - since, firstByteMs, text });
      }
    });
  });
}

/** Waits until the terminal has printed nothing for `quietMs` (bounded by `maxMs`). */
export async function waitQuiet(terminal: ByteTerminal, quietMs: number, maxMs: number): Promise<void> {
  let last = performance.now();
  const off = terminal.onData(() => (last = performance.now()));
  const deadline = performance.now() + maxMs;
  try {
    while (performance.now() < deadline && performance.now() - last < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs, 25)));
    }
  } finally {
    off();
  }
}

/** Brings the shell to a fresh, empty prompt (Ctrl-C, then Enter) and waits for it to settle. */
export async function freshPrompt(terminal: ByteTerminal, timeoutMs = 15_000): Promise<void> {
  const prompt = waitForOutput(terminal, endsWithPrompt, timeoutMs, 'prompt');
  terminal.write('\x03');
  await new Promise((resolve) => setTimeout(resolve, 50));
  terminal.write('\r');
  await prompt;
  await waitQuiet(terminal, 300, 5_000);
}

/**
 * Keystroke round trips: send one key, wait for the first byte it produces, send the next.
 * Keys alternate between a letter and Backspace so the command line never grows (a long
 * line would make readline redraw and the echo would no longer be one keystroke's).
 */
export async function echoLatencies(terminal: ByteTerminal, count: number, perKeyTimeoutMs = 5_000): Promise<number[]> {
  const samples: number[] = [];
  let waiting: { byte: number; resolve: (at: number) => void } | undefined;
  const off = terminal.onData((chunk) => {
    // Only the echo of the key in flight counts (a late fragment of the previous echo does not).
    if (waiting && chunk.includes(waiting.byte)) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve(performance.now());
    }
  });
  try {
    for (let i = 0; i < count; i++) {
      const key = i % 2 === 0 ? 'x' : '\x7f';
      // A letter echoes itself; Backspace echoes "\b" followed by an erase.
      const byte = key === 'x' ? 0x78 : 0x08;
      const echoed = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new TerminalTimeoutError(`keystroke ${i + 1} was not echoed within ${perKeyTimeoutMs} ms`)), perKeyTimeoutMs);
        waiting = {
          byte,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
      const sent = performance.now();
      terminal.write(key);
      samples.push((await echoed) - sent);
      // Let the rest of this echo pass before the next key.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    off();
  }
  return samples;
}

const END_MARK = 'BENCH_END';

/**
 * Runs `head -c <inputBytes> /dev/urandom | base64` in the shell and counts the bytes that
 * arrive until an end mark the command prints afterwards ('_' is not base64, so the mark
 * cannot occur in the data; the typed command line spells it split, so its echo does not match).
 */
export async function outputThroughput(terminal: ByteTerminal, inputBytes: number, timeoutMs: number): Promise<{ bytes: number; ms: number }> {
  await freshPrompt(terminal);
  let bytes = 0;
  let tail = '';
  const started = performance.now();
  const result = new Promise<{ bytes: number; ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new TerminalTimeoutError(`output did not finish within ${timeoutMs} ms (${bytes} bytes received)`));
    }, timeoutMs);
    const off = terminal.onData((chunk) => {
      bytes += chunk.length;
      // Cheap test first: the mark's '_' never occurs in base64 output, so only a chunk with
      // a '_' (or right after one that ended with the mark's first half) needs a search.
      if (chunk.includes(0x5f) || tail.includes('_')) {
        if ((tail + chunk.toString('latin1')).includes(END_MARK)) {
          clearTimeout(timer);
          off();
          resolve({ bytes, ms: performance.now() - started });
          return;
        }
      }
      tail = chunk.subarray(-END_MARK.length).toString('latin1');
    });
  });
  terminal.write(`head -c ${inputBytes} /dev/urandom | base64; echo BENCH_""END\r`);
  const measured = await result;
  await waitQuiet(terminal, 200, 5_000);
  return measured;
}

/**
 * Opens one viewer per target (at most `batch` handshakes at a time) and waits until each
 * has received its first bytes (the replay or the prompt), i.e. is attached to its shell.
 */
export async function openViewers(
  orchestratorUrl: string,
  targets: ReadonlyArray<{ sessionId: string; instanceId: string }>,
  batch = 20,
  timeoutMs = 30_000,
): Promise<StackTerminal[]> {
  const opened: StackTerminal[] = [];
  try {
    for (let i = 0; i < targets.length; i += batch) {
      await Promise.all(
        targets.slice(i, i + batch).map(async (target) => {
          const terminal = openStackTerminal(orchestratorUrl, target);
          opened.push(terminal);
          await waitForOutput(terminal, () => true, timeoutMs, 'first bytes of a viewer');
        }),
      );
    }
  } catch (error) {
    for (const terminal of opened) terminal.close();
    throw error;
  }
  return opened;
}
