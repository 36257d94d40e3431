import type Docker from 'dockerode';
import { BoundedSink } from './bounded-sink.ts';

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecBytesResult {
  exitCode: number | null;
  stdout: Buffer;
  /** stdout was longer than `maxStdoutBytes`; `stdout` holds its beginning. */
  overflowed: boolean;
  stderr: string;
}

/** Output beyond this is dropped, so a chatty command cannot fill the agent's memory. */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const STDERR_MAX_BYTES = 64 * 1024;

/**
 * Runs a short command in a container without a TTY, feeding it `stdin` when given, and
 * collects its output as bytes (stdout bounded by maxStdoutBytes), within timeoutMs.
 */
export async function execBytes(
  container: Docker.Container,
  cmd: string[],
  options: { timeoutMs?: number; maxStdoutBytes?: number; workingDir?: string; stdin?: Uint8Array } = {},
): Promise<ExecBytesResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const withStdin = options.stdin !== undefined;
  const exec = await container.exec({ Cmd: cmd, AttachStdin: withStdin, AttachStdout: true, AttachStderr: true, Tty: false, WorkingDir: options.workingDir });
  const stream = await exec.start({ hijack: true, stdin: withStdin });
  // Ending our side half-closes the hijacked connection: Docker then closes the command's stdin.
  if (withStdin) stream.end(options.stdin);
  const stdout = new BoundedSink(options.maxStdoutBytes ?? DEFAULT_MAX_BYTES);
  const stderr = new BoundedSink(STDERR_MAX_BYTES);
  container.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec ${cmd[0]} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? null, stdout: stdout.bytes(), overflowed: stdout.overflowed, stderr: stderr.text() };
}

/** Runs a short command in a container without a TTY and collects its output (bounded by timeoutMs). */
export async function execCollect(container: Docker.Container, cmd: string[], timeoutMs = 10000): Promise<ExecResult> {
  const result = await execBytes(container, cmd, { timeoutMs });
  return { exitCode: result.exitCode, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}
