import { EventEmitter } from 'node:events';
import type { Duplex, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { instanceContainerName, type TerminalLanguage, type TerminalSize } from '@playground/contracts';
import { InstanceNotFoundError, isDockerConflict, isDockerNotFound } from '../errors.ts';
import { openRelayShell, RelayUnavailableError, type RelayPorts } from './relay-shell.ts';

/**
 * A login shell in an instance, with a TTY. Output is paused/resumed for flow control. A new
 * shell starts paused, so no byte is emitted before its owner subscribed and calls resume().
 */
export interface Shell {
  /** Emits 'data' (Buffer) while not paused, and 'exit' ({ code }) once. */
  readonly events: EventEmitter<{ data: [Buffer]; exit: [{ code: number | null }] }>;
  /**
   * Queues input for the shell; false (and nothing queued) when the input it has not taken yet
   * would grow past its bound, so a shell that stops reading cannot grow the agent's memory.
   */
  write(data: string): boolean;
  /** Input bytes queued here that the shell has not taken yet. */
  pendingInputBytes(): number;
  resize(size: TerminalSize): Promise<void>;
  pause(): void;
  resume(): void;
  /** Ends the connection to the shell (the process ends with its TTY). */
  close(): void;
}

/** `lang`: the welcome text's language (PLAYGROUND_LANG, read by the image's ~/.bashrc). */
export type ShellFactory = (instanceId: string, size?: TerminalSize, lang?: TerminalLanguage) => Promise<Shell>;

/**
 * `docker exec -it <instance> bash -l`, where the terminal relay is not available. The hijacked connection is a raw two-way byte stream
 * (no multiplexing with a TTY); pausing it stops reading the socket, so the engine, and then
 * the shell, block on a full buffer, as a real terminal would.
 */
class DockerExecShell implements Shell {
  readonly events = new EventEmitter<{ data: [Buffer]; exit: [{ code: number | null }] }>();
  private exited = false;

  constructor(
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    private readonly maxPendingInputBytes: number,
    private readonly logger?: Logger,
  ) {
    stream.on('data', (chunk: Buffer) => this.events.emit('data', chunk));
    stream.pause();
    const finish = () => void this.finish();
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  }

  private async finish(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.events.emit('exit', { code: await execExitCode(this.exec) });
  }

  write(data: string): boolean {
    return this.exited || writeBounded(this.stream, data, this.maxPendingInputBytes);
  }

  pendingInputBytes(): number {
    return this.stream.writableLength;
  }

  /** Resizes one after another: two requests in flight at once may reach the engine out of order. */
  private resizing: Promise<void> = Promise.resolve();
  resize(size: TerminalSize): Promise<void> {
    const next = this.resizing.then(async () => {
      if (!this.exited) await this.exec.resize({ h: size.rows, w: size.cols });
    });
    this.resizing = next.catch(() => undefined);
    return next;
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(): void {
    this.stream.destroy();
    void this.hangUp();
  }

  /**
   * Closing the attach stream does not end a `docker exec` process (the engine keeps its TTY
   * open), so the shell is hung up as a closed terminal would be: SIGHUP (bash passes it on
   * to its jobs), then SIGKILL if it is still there. The agent shares the host's pid namespace
   * (as it must to read instances' /proc), where the exec's Pid lives.
   */
  private async hangUp(): Promise<void> {
    for (const signal of ['SIGHUP', 'SIGKILL'] as const) {
      let pid: number | undefined;
      try {
        const state = await this.exec.inspect();
        pid = state.Running ? state.Pid : undefined;
      } catch {
        return; // the instance is gone, and its processes with it
      }
      if (!pid) return;
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') this.logger?.warn({ pid, signal, err: String(error) }, 'terminal.hangup_failed');
        return;
      }
      await sleep(HANGUP_GRACE_MS);
    }
  }
}

/** The exit code the engine keeps for an ended exec; null when the instance is gone with its exec records. */
export async function execExitCode(exec: Docker.Exec): Promise<number | null> {
  try {
    return (await exec.inspect()).ExitCode ?? null;
  } catch {
    return null;
  }
}

/**
 * Queues input on the connection to a shell; false (nothing queued) when what the kernel has
 * not taken yet, the connection's own buffer, would grow past `maxPendingBytes`.
 */
export function writeBounded(connection: Writable, data: string, maxPendingBytes: number): boolean {
  if (connection.writableLength + Buffer.byteLength(data) > maxPendingBytes) return false;
  connection.write(data);
  return true;
}

/** How long a hung-up shell has to end before it is killed. */
const HANGUP_GRACE_MS = 2_000;

/** Input a shell may leave untaken before more is dropped (TERMINAL_MAX_PENDING_INPUT_BYTES). */
export const DEFAULT_MAX_PENDING_INPUT_BYTES = 256 * 1024;

/**
 * The learner's shell. Docker gives every exec the container's creation-time HOSTNAME
 * variable, which bash keeps; a warm pool instance was renamed after creation, so bash must
 * set it itself.
 */
export const LOGIN_SHELL = ['env', '-u', 'HOSTNAME', 'bash', '-l'];

export interface DockerShellOptions {
  /**
   * The instance's address on its session network (PortDialer.addressOf). With it (and
   * `relayPorts`) shells go through the image's terminal relay; without, over `docker exec`.
   */
  addressOf?: (instanceId: string) => Promise<string | null>;
  relayPorts?: RelayPorts;
  maxPendingInputBytes?: number;
  logger?: Logger;
}

/**
 * Opens shells in instance containers: through the terminal relay where the instance has it
 * and can be reached (relay-shell.ts), else with `docker exec -t` (an image without the relay,
 * an instance without an address), which works everywhere but is slower per keystroke.
 */
export function dockerShellFactory(docker: Docker, opts: DockerShellOptions = {}): ShellFactory {
  const maxPendingInputBytes = opts.maxPendingInputBytes ?? DEFAULT_MAX_PENDING_INPUT_BYTES;
  /** Instances whose relay failed lately (→ until when), so their shells are not delayed by trying it each time. */
  const noRelay = new Map<string, number>();
  const relayFailedLately = (instanceId: string) => (noRelay.get(instanceId) ?? 0) > Date.now();
  return async (instanceId, size, lang) => {
    const container = docker.getContainer(instanceContainerName(instanceId));
    const env = ['TERM=xterm-256color', 'LANG=C.UTF-8', ...(lang ? [`PLAYGROUND_LANG=${lang}`] : [])];
    const address = opts.addressOf && opts.relayPorts && !relayFailedLately(instanceId) ? await opts.addressOf(instanceId).catch(() => null) : null;
    if (address && opts.relayPorts) {
      try {
        return await instanceCall(instanceId, () =>
          openRelayShell(docker, { container, address, ports: opts.relayPorts!, env, argv: LOGIN_SHELL, size, maxPendingInputBytes, logger: opts.logger }),
        );
      } catch (error) {
        if (!(error instanceof RelayUnavailableError)) throw error;
        if (noRelay.size > 10_000) noRelay.clear();
        noRelay.set(instanceId, Date.now() + RELAY_RETRY_AFTER_MS);
        opts.logger?.warn({ instanceId, err: error.message }, 'terminal.relay_unavailable: shells of this instance go over docker exec');
      }
    }
    const exec = await instanceCall(instanceId, () =>
      container.exec({ Cmd: LOGIN_SHELL, Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Env: env, WorkingDir: '/root', User: 'root' }),
    );
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    const shell = new DockerExecShell(exec, stream, maxPendingInputBytes, opts.logger);
    if (size) await shell.resize(size).catch(() => undefined);
    return shell;
  };
}

/** How long after its relay failed an instance's shells go over `docker exec` without trying it. */
const RELAY_RETRY_AFTER_MS = 60_000;

/** A call to the engine about an instance; 404 (no such container) or 409 (not running) mean it is not there. */
async function instanceCall<T>(instanceId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isDockerNotFound(err) || isDockerConflict(err)) throw new InstanceNotFoundError(instanceId);
    throw err;
  }
}
