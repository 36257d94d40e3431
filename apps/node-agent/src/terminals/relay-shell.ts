import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { TerminalSize } from '@playground/contracts';
import { execExitCode, writeBounded, type Shell } from './shell.ts';

// A shell whose bytes skip the engine: the instance image's pty-relay (infra/instance/
// pty-relay.c) owns the TTY and carries its bytes over one TCP connection from this agent to
// the instance's own address. `docker exec` still starts it (with the engine's say over user
// and limits) and carries the few control bytes: the request, then resizes, on its stdin.
// Per keystroke and echo that removes the engine and the containerd shim from the path, the
// biggest part of a terminal's latency on a node.

/** Where the instance image keeps the relay (infra/instance/build.sh, Dockerfile). */
export const RELAY_PATH = '/usr/local/libexec/playground/pty-relay';

/** How long the relay may take to listen, and the agent to reach it. */
const READY_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** After close(): how long the relay has to hang its shell up and end before its exec is cut. */
const CLOSE_GRACE_MS = 5_000;
/** The TTY's size when the viewer gave none (a terminal's classic default). */
const DEFAULT_SIZE: TerminalSize = { cols: 80, rows: 24 };

/**
 * The ports relays listen on in instances, one per shell being opened, above Linux's
 * ephemeral range so no outgoing connection in the instance holds one. A port is listened on
 * only between the relay's start and the agent's connection (milliseconds), but stays marked
 * for `lingerMs` after, so a port scan that read it meanwhile does not report it as the
 * learner's.
 */
export class RelayPorts {
  /** Port → until when it is marked (Infinity while a relay may listen on it). */
  private readonly marked = new Map<number, number>();
  private next: number;

  constructor(
    private readonly first = 61_000,
    private readonly last = 65_535,
    private readonly lingerMs = 2_000,
  ) {
    this.next = first;
  }

  /** A port no relay is using nor recently used; undefined when all are. */
  take(): number | undefined {
    const count = this.last - this.first + 1;
    for (let tried = 0; tried < count; tried++) {
      const port = this.next;
      this.next = port === this.last ? this.first : port + 1;
      if (!this.isRelayPort(port)) {
        this.marked.set(port, Infinity);
        return port;
      }
    }
    return undefined;
  }

  release(port: number): void {
    this.marked.set(port, Date.now() + this.lingerMs);
  }

  /** Whether a relay listens, or listened a moment ago, on this port (the port scanner hides it). */
  isRelayPort(port: number): boolean {
    const until = this.marked.get(port);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.marked.delete(port);
    return false;
  }
}

export interface RelayShellRequest {
  container: Docker.Container;
  /** The instance's address on its session network: the relay listens there. */
  address: string;
  ports: RelayPorts;
  env: string[];
  argv: string[];
  size?: TerminalSize;
  maxPendingInputBytes: number;
  logger?: Logger;
}

/** Why the relay could not serve this shell (the caller falls back to a plain `docker exec`). */
export class RelayUnavailableError extends Error {
  override name = 'RelayUnavailableError';
}

/**
 * Starts the relay in the instance and connects to it. Throws RelayUnavailableError when the
 * image has no relay or it could not be reached; what `container.exec` throws (the instance
 * is gone) is passed on as it is.
 */
export async function openRelayShell(docker: Docker, request: RelayShellRequest): Promise<Shell> {
  const port = request.ports.take();
  if (port === undefined) throw new RelayUnavailableError('every relay port is in use');
  let control: Duplex | undefined;
  try {
    const exec = await request.container.exec({
      Cmd: [RELAY_PATH],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: request.env,
      WorkingDir: '/root',
      User: 'root',
    });
    control = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(control, stdout, stderr);
    const token = randomBytes(16).toString('hex');
    const size = request.size ?? DEFAULT_SIZE;
    control.write(`${request.address} ${port} ${token} ${size.cols} ${size.rows} ${request.argv.join(' ')}\n`);
    await relayReady(control, stdout, stderr);
    const socket = await connectWithToken(request.address, port, token);
    return new RelayShell(exec, control, socket, request.maxPendingInputBytes, request.logger);
  } catch (error) {
    control?.destroy();
    throw error;
  } finally {
    request.ports.release(port);
  }
}

/** Resolves at the relay's "ready"; rejects with what it said when it ended or stayed silent. */
function relayReady(control: Duplex, stdout: PassThrough, stderr: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    let said = '';
    let complaint = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      stdout.off('data', onStdout);
      stderr.off('data', onStderr);
      control.off('close', onClose);
      control.off('error', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onStdout = (chunk: Buffer) => {
      said += chunk.toString('utf8');
      if (said.includes('ready\n')) done();
    };
    const onStderr = (chunk: Buffer) => {
      complaint = (complaint + chunk.toString('utf8')).slice(-500);
    };
    const onClose = () => done(new RelayUnavailableError(`the relay ended before it listened: ${(complaint || said).trim() || 'no message'}`));
    const timer = setTimeout(() => done(new RelayUnavailableError('the relay did not listen in time')), READY_TIMEOUT_MS);
    stdout.on('data', onStdout);
    stderr.on('data', onStderr);
    control.once('close', onClose);
    control.once('error', onClose);
  });
}

function connectWithToken(address: string, port: number, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, noDelay: true });
    const fail = (error: Error) => {
      socket.destroy();
      reject(new RelayUnavailableError(`the relay could not be reached at ${address}:${port}: ${error.message}`));
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(new Error('timed out')));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      socket.write(token);
      resolve(socket);
    });
  });
}

/**
 * The shell's bytes on `data`, its resizes and its end on `control` (the relay's exec).
 * Pausing stops reading the connection: the relay then stops reading the TTY, and the shell
 * blocks on a full TTY, as with a real terminal.
 */
class RelayShell implements Shell {
  readonly events = new EventEmitter<{ data: [Buffer]; exit: [{ code: number | null }] }>();
  private exited = false;
  private dataClosed = false;
  private controlClosed = false;

  constructor(
    private readonly exec: Docker.Exec,
    private readonly control: Duplex,
    private readonly data: Socket,
    private readonly maxPendingInputBytes: number,
    private readonly logger?: Logger,
  ) {
    data.on('data', (chunk: Buffer) => this.events.emit('data', chunk));
    data.pause();
    // A reset (the instance stopped) ends the connection as its close does.
    data.on('error', (error) => this.logger?.debug({ err: error.message }, 'terminal.relay_connection_failed'));
    data.on('close', () => {
      this.dataClosed = true;
      void this.finish();
    });
    control.on('error', () => undefined);
    control.on('close', () => {
      this.controlClosed = true;
      void this.finish();
    });
  }

  /**
   * Once both are closed: the connection (so every byte the shell wrote was passed on) and
   * the exec (so the engine has its exit code, the shell's). A relay killed with the instance
   * closes both too.
   */
  private async finish(): Promise<void> {
    if (this.exited || !this.dataClosed || !this.controlClosed) return;
    this.exited = true;
    clearTimeout(this.closeTimer);
    this.events.emit('exit', { code: await execExitCode(this.exec) });
  }

  write(data: string): boolean {
    return this.exited || this.data.destroyed || writeBounded(this.data, data, this.maxPendingInputBytes);
  }

  pendingInputBytes(): number {
    return this.data.writableLength;
  }

  /** A line on the relay's stdin; lines keep their order, so resizes do too. */
  resize(size: TerminalSize): Promise<void> {
    if (!this.exited && !this.control.destroyed) this.control.write(`${size.cols} ${size.rows}\n`);
    return Promise.resolve();
  }

  pause(): void {
    this.data.pause();
  }

  resume(): void {
    this.data.resume();
  }

  private closeTimer: NodeJS.Timeout | undefined;
  /** The relay hangs its shell up when its connection or its stdin closes, then ends. */
  close(): void {
    this.data.destroy();
    this.control.end();
    this.closeTimer = setTimeout(() => this.control.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }
}
