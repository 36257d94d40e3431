import type { Logger } from 'pino';
import { followSizeSequence, MAIN_SHELL, type AttachReply, type TerminalLanguage, type TerminalSize } from '@playground/contracts';
import { AgentError } from '../errors.ts';
import { ReplayBuffer } from './replay-buffer.ts';
import type { Shell, ShellFactory } from './shell.ts';
import { Utf8Boundary } from './utf8-boundary.ts';

/** At most this many chunks go out to a viewer between two that ask for an ack. */
export const ACK_EVERY_CHUNKS = 64;

// The agent owns terminals (like coder's reconnectingpty): each instance has its main shell
// (number 0), started as soon as the instance is ready (prewarm) or else on the first attach,
// and may have numbered extra shells (a learner's tabs), each started on its first attach.
// A shell lives until it exits, is closed (a tab closed), or the instance goes away; an extra
// shell also ends once no viewer has held it for `idleCloseMs` (a tab nobody came back to),
// and the next attach to it is told so before a new one starts. Viewers come and go; a new
// viewer first receives the replay of recent output.
//
// Flow control: every byte sent to a viewer counts as unacknowledged until an ack covers it.
// While any viewer holds more than `windowBytes` unacknowledged, the shell's output is
// paused, so memory per viewer stays within the window plus one chunk.
//
// Acks are cumulative (a chunk's ack covers every chunk before it), so only some chunks ask
// for one: keystroke echoes then cost no ack round trip on the wire. A chunk asks when a
// quarter window or ACK_EVERY_CHUNKS chunks went out since the last ask, and always when it
// leaves the viewer over the window: a paused shell then always waits for an ack that was
// asked for, never for one nobody will send.

/** Where a viewer's bytes go (the orchestrator link, or a test). */
export interface ViewerSink {
  /**
   * `data` ends on a UTF-8 character boundary. Calling `ack` acknowledges this chunk and all
   * before it; the sink must make sure it is called for a chunk with `wantsAck` (others it
   * may skip).
   */
  output(data: Buffer, ack: () => void, wantsAck: boolean): void;
  exit(info: { code: number | null; reason: string }): void;
}

interface Viewer {
  id: string;
  /** The terminal's key (instance and shell number). */
  key: string;
  sink: ViewerSink;
  /** Bytes sent, and bytes covered by acks, since the viewer attached. */
  sent: number;
  acked: number;
  /** Where (in `sent`) the last chunk that asked for an ack ended, and chunks since. */
  askedAt: number;
  chunksSinceAsk: number;
  /** Follows the shell's size instead of setting it (an instructor watching). */
  followsSize: boolean;
}

interface Terminal {
  key: string;
  instanceId: string;
  number: number;
  shell: Shell;
  replay: ReplayBuffer;
  utf8: Utf8Boundary;
  viewers: Map<string, Viewer>;
  /** The PTY's size as last set (absent: never set, the engine's default). */
  size?: TerminalSize;
  paused: boolean;
  /** Input was dropped since the shell last caught up (its viewers were told). */
  inputDropped: boolean;
  /** The shell wrote output since input was last dropped (it is doing something again). */
  outputSinceDrop: boolean;
  /** Its welcome text's language (absent: English), and whether any viewer has seen it yet. */
  lang?: TerminalLanguage;
  viewed: boolean;
  /** Runs while an extra shell has no viewer; when it fires the shell is ended for idleness. */
  idleTimer?: NodeJS.Timeout;
}

const INPUT_DROPPED_NOTICE =
  '\r\n\x1b[33m[playground] the shell is not reading its input (a program in the foreground ignores it?): further input was dropped.\x1b[0m\r\n';

/** Where an instance's shell number `number` is kept (the main shell's key is the instance id alone). */
function terminalKey(instanceId: string, number: number): string {
  return number === MAIN_SHELL ? instanceId : `${instanceId}#${number}`;
}

export interface TerminalManagerOptions {
  openShell: ShellFactory;
  replayBytes: number;
  windowBytes: number;
  logger: Logger;
  /** Told of every chunk sent to a viewer (metrics). */
  onOutputBytes?: (bytes: number) => void;
  /** How long an extra shell may stay with no viewer before it is ended (TERMINAL_SHELL_IDLE_MINUTES); 0 or absent: never. */
  idleCloseMs?: number;
  /** Told of every shell ended for idleness (metrics). */
  onIdleClosed?: () => void;
}

export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();
  private readonly starting = new Map<string, Promise<Terminal>>();
  private readonly viewers = new Map<string, Viewer>();
  /** Attaches waiting for their shell; a detach meanwhile cancels the attach. */
  private readonly pendingAttach = new Map<string, symbol>();
  /** Keys of extra shells ended for idleness whose next attach has not been told yet. */
  private readonly idleClosed = new Set<string>();

  private readonly ackEveryBytes: number;

  constructor(private readonly opts: TerminalManagerOptions) {
    this.ackEveryBytes = Math.max(1, Math.floor(opts.windowBytes / 4));
  }

  async attach(
    request: { viewerId: string; instanceId: string; shell?: number; size?: TerminalSize; lang?: TerminalLanguage; followsSize?: boolean },
    sink: ViewerSink,
  ): Promise<AttachReply> {
    this.detach(request.viewerId);
    const number = request.shell ?? MAIN_SHELL;
    // Told once: the viewer that comes back reads why its tab's shell is gone; attaching again starts a new one.
    if (this.idleClosed.delete(terminalKey(request.instanceId, number))) {
      const idleMinutes = this.idleMinutes();
      return { ok: false, code: 'shell_closed_idle', message: `this shell was closed after ${idleMinutes} minutes with nobody using it`, idleMinutes };
    }
    const token = Symbol(request.viewerId);
    this.pendingAttach.set(request.viewerId, token);
    let terminal: Terminal;
    try {
      terminal = await this.terminalFor(request.instanceId, number, request.size, request.lang);
      // A prewarmed shell greeted in English that no one has seen yet: the first viewer's
      // language wins, so its welcome text is replaced by a shell greeting in that language.
      if (!terminal.viewed && (request.lang ?? 'en') !== (terminal.lang ?? 'en')) {
        this.discard(terminal, 'language');
        terminal = await this.terminalFor(request.instanceId, number, request.size, request.lang);
      }
      if (this.pendingAttach.get(request.viewerId) !== token) return { ok: false, code: 'detached', message: 'the viewer left' };
    } catch (err) {
      const code = err instanceof AgentError ? err.code : 'terminal_failed';
      const message = err instanceof AgentError ? err.message : 'the terminal could not be opened';
      this.opts.logger.warn({ instanceId: request.instanceId, err: String(err) }, 'terminal.attach_failed');
      return { ok: false, code, message };
    } finally {
      if (this.pendingAttach.get(request.viewerId) === token) this.pendingAttach.delete(request.viewerId);
    }
    const viewer: Viewer = { id: request.viewerId, key: terminal.key, sink, sent: 0, acked: 0, askedAt: 0, chunksSinceAsk: 0, followsSize: request.followsSize === true };
    terminal.viewers.set(viewer.id, viewer);
    terminal.viewed = true;
    clearTimeout(terminal.idleTimer);
    this.viewers.set(viewer.id, viewer);
    const replay = terminal.replay.snapshot();
    // A follower's screen takes the shell's size before the screen written at that size.
    if (viewer.followsSize && terminal.size) this.tellSize(viewer, terminal.size);
    if (replay.length > 0) this.send(terminal, viewer, replay);
    if (request.size) this.setSize(terminal, request.size);
    this.opts.logger.debug({ viewerId: viewer.id, instanceId: request.instanceId, shell: terminal.number, replay: replay.length }, 'terminal.attached');
    return { ok: true };
  }

  private terminalFor(instanceId: string, number: number, size?: TerminalSize, lang?: TerminalLanguage): Promise<Terminal> {
    const key = terminalKey(instanceId, number);
    const existing = this.terminals.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.start(instanceId, number, size, lang).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  /** Ends a shell no viewer holds (it leaves the map first, so its exit changes nothing). */
  private discard(terminal: Terminal, why: string): void {
    if (this.terminals.get(terminal.key) === terminal) this.terminals.delete(terminal.key);
    clearTimeout(terminal.idleTimer);
    terminal.shell.close();
    this.opts.logger.debug({ instanceId: terminal.instanceId, shell: terminal.number, why }, 'terminal.discarded');
  }

  private async start(instanceId: string, number: number, size?: TerminalSize, lang?: TerminalLanguage): Promise<Terminal> {
    const shell = await this.opts.openShell(instanceId, size, lang);
    const terminal: Terminal = {
      key: terminalKey(instanceId, number),
      instanceId,
      number,
      shell,
      replay: new ReplayBuffer(this.opts.replayBytes),
      utf8: new Utf8Boundary(),
      viewers: new Map(),
      paused: false,
      inputDropped: false,
      outputSinceDrop: false,
      lang,
      viewed: false,
      size,
    };
    shell.events.on('data', (raw) => {
      const chunk = terminal.utf8.take(raw);
      if (chunk.length === 0) return;
      terminal.outputSinceDrop = true;
      terminal.replay.append(chunk);
      for (const viewer of terminal.viewers.values()) this.send(terminal, viewer, chunk);
    });
    shell.events.once('exit', ({ code }) => this.end(terminal, code, code === null ? 'the shell ended' : `the shell exited with code ${code}`));
    this.terminals.set(terminal.key, terminal);
    this.armIdle(terminal); // its first viewer, on its way, stops it
    shell.resume(); // subscribed: let the first bytes (motd, prompt) flow into the replay
    this.opts.logger.info({ instanceId, shell: number }, 'terminal.started');
    return terminal;
  }

  private idleMinutes(): number {
    return Math.round(((this.opts.idleCloseMs ?? 0) / 60_000) * 100) / 100;
  }

  /** An extra shell with no viewer starts counting; the main shell is the instance's own and never idles out. */
  private armIdle(terminal: Terminal): void {
    const ms = this.opts.idleCloseMs ?? 0;
    if (terminal.number === MAIN_SHELL || ms <= 0 || terminal.viewers.size > 0) return;
    clearTimeout(terminal.idleTimer);
    terminal.idleTimer = setTimeout(() => {
      if (this.terminals.get(terminal.key) !== terminal || terminal.viewers.size > 0) return;
      this.idleClosed.add(terminal.key);
      this.end(terminal, null, 'the shell was closed for idleness');
      terminal.shell.close();
      this.opts.onIdleClosed?.();
      this.opts.logger.info({ instanceId: terminal.instanceId, shell: terminal.number, idleMs: ms }, 'terminal.idle_closed');
    }, ms);
    terminal.idleTimer.unref();
  }

  private send(terminal: Terminal, viewer: Viewer, data: Buffer): void {
    this.opts.onOutputBytes?.(data.length);
    viewer.sent += data.length;
    const end = viewer.sent;
    const wantsAck =
      end - viewer.acked > this.opts.windowBytes || end - viewer.askedAt >= this.ackEveryBytes || ++viewer.chunksSinceAsk >= ACK_EVERY_CHUNKS;
    if (wantsAck) {
      viewer.askedAt = end;
      viewer.chunksSinceAsk = 0;
    }
    viewer.sink.output(
      data,
      () => {
        if (end <= viewer.acked) return;
        viewer.acked = end;
        this.updateFlow(terminal);
      },
      wantsAck,
    );
    this.updateFlow(terminal);
  }

  private updateFlow(terminal: Terminal): void {
    let behind = false;
    for (const v of terminal.viewers.values()) if (v.sent - v.acked > this.opts.windowBytes) behind = true;
    if (behind && !terminal.paused) {
      terminal.paused = true;
      terminal.shell.pause();
    } else if (!behind && terminal.paused) {
      terminal.paused = false;
      terminal.shell.resume();
    }
  }

  private end(terminal: Terminal, code: number | null, reason: string): void {
    if (this.terminals.get(terminal.key) !== terminal) return;
    this.terminals.delete(terminal.key);
    clearTimeout(terminal.idleTimer);
    for (const viewer of terminal.viewers.values()) {
      this.viewers.delete(viewer.id);
      viewer.sink.exit({ code, reason });
    }
    terminal.viewers.clear();
    this.opts.logger.info({ instanceId: terminal.instanceId, shell: terminal.number, code }, 'terminal.exited');
  }

  /** Open shells and attached viewers (metrics). */
  counts(): { shells: number; viewers: number } {
    return { shells: this.terminals.size, viewers: this.viewers.size };
  }

  /** Starts the instance's main shell with no viewer yet; its first output waits in the replay buffer. */
  prewarm(instanceId: string): void {
    this.terminalFor(instanceId, MAIN_SHELL).catch((err) => this.opts.logger.debug({ instanceId, err: String(err) }, 'terminal.prewarm_failed'));
  }

  input(viewerId: string, data: string): void {
    const viewer = this.viewers.get(viewerId);
    const terminal = viewer && this.terminals.get(viewer.key);
    if (!viewer || !terminal) return;
    if (terminal.shell.write(data)) {
      // Caught up: nothing left waiting, and the shell showed life since. Kernel buffers on the
      // way (a relay's TCP connection holds megabytes) take input now and then while a program
      // ignores it; that alone must not tell the viewer again at each keystroke.
      if (terminal.inputDropped && terminal.outputSinceDrop && terminal.shell.pendingInputBytes() === 0) terminal.inputDropped = false;
      return;
    }
    // Told once per backlog, not per dropped keystroke: the notice is itself output.
    if (terminal.inputDropped) return;
    terminal.inputDropped = true;
    terminal.outputSinceDrop = false;
    this.opts.logger.info({ instanceId: terminal.instanceId, pending: terminal.shell.pendingInputBytes() }, 'terminal.input_dropped');
    // Outside the flow-control count (no ack asked): it is a few bytes, once.
    viewer.sink.output(Buffer.from(INPUT_DROPPED_NOTICE), () => undefined, false);
  }

  /** The shell takes the size of whichever viewer resized last. */
  resize(viewerId: string, size: TerminalSize): void {
    const viewer = this.viewers.get(viewerId);
    const terminal = viewer && this.terminals.get(viewer.key);
    if (terminal) this.setSize(terminal, size);
  }

  private setSize(terminal: Terminal, size: TerminalSize): void {
    const changed = terminal.size?.cols !== size.cols || terminal.size?.rows !== size.rows;
    terminal.size = size;
    void terminal.shell.resize(size).catch(() => undefined);
    if (!changed) return;
    for (const viewer of terminal.viewers.values()) if (viewer.followsSize) this.tellSize(viewer, size);
  }

  /** Outside the flow-control count (no ack asked): a few bytes per resize. */
  private tellSize(viewer: Viewer, size: TerminalSize): void {
    viewer.sink.output(Buffer.from(followSizeSequence(size)), () => undefined, false);
  }

  /** The viewer leaves; the shell stays for the next one. */
  detach(viewerId: string): void {
    this.pendingAttach.delete(viewerId);
    const viewer = this.viewers.get(viewerId);
    if (!viewer) return;
    this.viewers.delete(viewerId);
    const terminal = this.terminals.get(viewer.key);
    if (terminal?.viewers.get(viewerId) === viewer) {
      terminal.viewers.delete(viewerId);
      this.updateFlow(terminal); // a slow viewer leaving may unblock the others
      this.armIdle(terminal);
    }
  }

  /**
   * The viewer's tab was closed: its extra shell ends for every viewer of it. The main shell
   * is the instance's own (watchers, SSH, the next reload) and is never closed this way.
   */
  close(viewerId: string): void {
    const viewer = this.viewers.get(viewerId);
    const terminal = viewer && this.terminals.get(viewer.key);
    if (!terminal || terminal.number === MAIN_SHELL) return;
    this.end(terminal, null, 'the shell was closed');
    terminal.shell.close();
  }

  /** The instance is going away: end its shells and tell their viewers. */
  closeInstance(instanceId: string, reason: string): void {
    for (const key of this.idleClosed) if (key === instanceId || key.startsWith(`${instanceId}#`)) this.idleClosed.delete(key);
    for (const terminal of [...this.terminals.values()]) {
      if (terminal.instanceId !== instanceId) continue;
      this.end(terminal, null, reason);
      terminal.shell.close();
    }
  }

  closeAll(reason: string): void {
    for (const terminal of [...this.terminals.values()]) this.closeInstance(terminal.instanceId, reason);
  }

  /** For tests and metrics. */
  inspect(
    instanceId: string,
    shell = MAIN_SHELL,
  ): { paused: boolean; viewers: { id: string; unacked: number }[]; replayBytes: number; pendingInputBytes: number } | undefined {
    const t = this.terminals.get(terminalKey(instanceId, shell));
    if (!t) return undefined;
    return {
      paused: t.paused,
      viewers: [...t.viewers.values()].map((v) => ({ id: v.id, unacked: v.sent - v.acked })),
      replayBytes: t.replay.length,
      pendingInputBytes: t.shell.pendingInputBytes(),
    };
  }
}
