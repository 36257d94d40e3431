import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { instanceContainerName, type TerminalLanguage, type TerminalSize } from '@playground/contracts';
import { InstanceNotFoundError, isDockerNotFound } from '../errors.ts';

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
 * `docker exec -it <instance> bash -l`. The hijacked connection is a raw two-way byte stream
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
    let code: number | null = null;
    try {
      code = (await this.exec.inspect()).ExitCode ?? null;
    } catch {
      // the instance is gone with its exec records
    }
    this.events.emit('exit', { code });
  }

  write(data: string): boolean {
    if (this.exited) return true;
    // The stream's own buffer holds what the engine's socket did not take: it is the backlog.
    if (this.stream.writableLength + Buffer.byteLength(data) > this.maxPendingInputBytes) return false;
    this.stream.write(data);
    return true;
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

/** How long a hung-up shell has to end before it is killed. */
const HANGUP_GRACE_MS = 2_000;

/** Opens shells with `docker exec` in instance containers. */
/** Input a shell may leave untaken before more is dropped (TERMINAL_MAX_PENDING_INPUT_BYTES). */
export const DEFAULT_MAX_PENDING_INPUT_BYTES = 256 * 1024;

export function dockerShellFactory(docker: Docker, opts: { maxPendingInputBytes?: number; logger?: Logger } = {}): ShellFactory {
  return async (instanceId, size, lang) => {
    const container = docker.getContainer(instanceContainerName(instanceId));
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        // Docker gives every exec the container's creation-time HOSTNAME variable, which bash
        // keeps; a warm pool instance was renamed after creation, so bash must set it itself.
        Cmd: ['env', '-u', 'HOSTNAME', 'bash', '-l'],
        Tty: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Env: ['TERM=xterm-256color', 'LANG=C.UTF-8', ...(lang ? [`PLAYGROUND_LANG=${lang}`] : [])],
        WorkingDir: '/root',
        User: 'root',
      });
    } catch (err) {
      // 404: no such container; 409: container not running.
      if (isDockerNotFound(err) || (err as { statusCode?: number }).statusCode === 409) throw new InstanceNotFoundError(instanceId);
      throw err;
    }
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    const shell = new DockerExecShell(exec, stream, opts.maxPendingInputBytes ?? DEFAULT_MAX_PENDING_INPUT_BYTES, opts.logger);
    if (size) await shell.resize(size).catch(() => undefined);
    return shell;
  };
}
