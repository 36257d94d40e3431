import path from 'node:path';
import type Docker from 'dockerode';
import { EXEC_OUTPUT_MAX_BYTES, instanceContainerName, type ExecReply, type ExecRequest, type UploadReply, type UploadRequest } from '@playground/contracts';
import { isDockerConflict, isDockerNotFound } from '../errors.ts';
import { BoundedSink } from './bounded-sink.ts';
import { execBytes } from './exec-collect.ts';

// One-off commands and file writes in an instance, asked for by the orchestrator over the
// link (PWD's exec, uploads and session setup). The shell a learner types in is elsewhere
// (terminals/); these run beside it, as root in /root, without a TTY.

/** Seconds granted beyond the command's own deadline before we stop waiting for Docker. */
const BACKSTOP_MS = 5_000;
/** Below the orchestrator's 60 s wait for an upload's answer. */
const WRITE_SECONDS = 50;
const WRITE_SCRIPT = 'mkdir -p -- "$1" && cat > "$1/$2"';

export function notRunning(instanceId: string): { ok: false; code: string; message: string } {
  return { ok: false, code: 'instance_not_found', message: `instance ${instanceId} is not running on this node` };
}

export class InstanceCommands {
  constructor(private readonly docker: Docker) {}

  /**
   * Runs argv under coreutils `timeout -s KILL`, so the command itself ends at its deadline
   * (Docker has no call to kill an exec); our own timer is only a backstop.
   */
  async exec(request: ExecRequest): Promise<ExecReply> {
    const container = this.docker.getContainer(instanceContainerName(request.instanceId));
    const seconds = Math.max(1, Math.ceil(request.timeoutMs / 1000));
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        Cmd: ['timeout', '-s', 'KILL', String(seconds), ...request.command],
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        WorkingDir: '/root',
        User: 'root',
        Env: ['LANG=C.UTF-8'],
      });
    } catch (err) {
      if (isDockerNotFound(err) || isDockerConflict(err)) return notRunning(request.instanceId);
      throw err;
    }
    const stream = await exec.start({ hijack: true, stdin: false });
    const sink = new BoundedSink(EXEC_OUTPUT_MAX_BYTES);
    container.modem.demuxStream(stream, sink, sink);
    const finished = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve(false);
      }, seconds * 1000 + BACKSTOP_MS);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
    if (!finished) return { ok: false, code: 'timeout', message: `the command did not finish within ${seconds} s` };
    const info = await exec.inspect();
    // `timeout` answers 137 when it had to kill the command.
    if (info.ExitCode === 137) return { ok: false, code: 'timeout', message: `the command did not finish within ${seconds} s` };
    return { ok: true, exitCode: info.ExitCode ?? null, output: sink.text() };
  }

  /**
   * One file, written by `cat` inside the instance (as root, like the learner's shell): the
   * directory is made if missing, a symlink at the path is followed (its target is written),
   * an existing file keeps its mode and owner, and nothing is resolved on the node's host.
   */
  async upload(request: UploadRequest): Promise<UploadReply> {
    const container = this.docker.getContainer(instanceContainerName(request.instanceId));
    const directory = path.posix.normalize(request.directory);
    const cmd = ['timeout', '-s', 'KILL', String(WRITE_SECONDS), 'sh', '-c', WRITE_SCRIPT, 'upload', directory, request.fileName];
    let result: Awaited<ReturnType<typeof execBytes>>;
    try {
      result = await execBytes(container, cmd, { stdin: request.data, timeoutMs: WRITE_SECONDS * 1000 + BACKSTOP_MS, maxStdoutBytes: 4096 });
    } catch (err) {
      if (isDockerNotFound(err) || isDockerConflict(err)) return notRunning(request.instanceId);
      throw err;
    }
    if (result.exitCode === 137) return { ok: false, code: 'timeout', message: `writing the file took longer than ${WRITE_SECONDS} s` };
    // The shell's own message names what is wrong (a file where a directory should be, a full disk).
    if (result.exitCode !== 0) return { ok: false, code: 'upload_failed', message: result.stderr.trim() || `exit code ${result.exitCode}` };
    return { ok: true };
  }
}
