import type Docker from 'dockerode';
import {
  instanceContainerName,
  type FileEntry,
  type FileKind,
  type FilesListReply,
  type FilesListRequest,
  type FilesReadReply,
  type FilesReadRequest,
} from '@playground/contracts';
import { isDockerConflict, isDockerNotFound } from '../errors.ts';
import { execBytes, type ExecBytesResult } from './exec-collect.ts';
import { notRunning } from './instance-commands.ts';

// The file panel's reads, run inside the instance's container (`docker exec`, as root), so
// paths and symlinks resolve in the instance's own file system and never on the node's host.
// Writes go through InstanceCommands.upload (`cat` in the instance, too).

/** Docker kills nothing on its own; `timeout` ends a stuck read (a FUSE mount, a slow disk). */
const COMMAND_SECONDS = 30;
/** The reply must stay under the orchestrator's 1 MB Socket.IO message limit. */
const LIST_OUTPUT_MAX_BYTES = 700 * 1024;
const FIELDS_PER_ENTRY = 6;

// Exit codes our scripts use to say what is wrong with the path.
const EXIT_MISSING = 2;
const EXIT_WRONG_KIND = 4;
const EXIT_NOT_REGULAR = 5;
const EXIT_KILLED = 137;

/** `cd` follows a symlinked directory as the shell would; entries come NUL-separated. */
const LIST_SCRIPT = `cd -- "$1" 2>/dev/null || { [ -e "$1" ] && exit ${EXIT_WRONG_KIND}; exit ${EXIT_MISSING}; }
find . -mindepth 1 -maxdepth 1 -printf '%y\\0%Y\\0%s\\0%T@\\0%l\\0%f\\0' | head -z -n "$2"`;

/** A header (resolved path, size) then the chunk's bytes. */
const READ_SCRIPT = `p=$(readlink -e -- "$1") || exit ${EXIT_MISSING}
[ -d "$p" ] && exit ${EXIT_WRONG_KIND}
[ -f "$p" ] || exit ${EXIT_NOT_REGULAR}
printf '%s\\0%s\\0' "$p" "$(stat -c %s -- "$p")"
exec dd if="$p" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none`;

const KINDS: Record<string, FileKind> = { f: 'file', d: 'directory', l: 'symlink' };

type Failure = { ok: false; code: string; message: string };

export class InstanceFiles {
  constructor(private readonly docker: Docker) {}

  async list(request: FilesListRequest): Promise<FilesListReply> {
    const result = await this.run(request.instanceId, LIST_SCRIPT, [request.path, String((request.maxEntries + 1) * FIELDS_PER_ENTRY)], LIST_OUTPUT_MAX_BYTES);
    if ('ok' in result) return result;
    const failed = failure(result, request.path, { [EXIT_WRONG_KIND]: ['not_a_directory', 'is not a directory'] });
    if (failed) return failed;
    const entries = parseEntries(result.stdout);
    const truncated = result.overflowed || entries.length > request.maxEntries;
    return { ok: true, entries: entries.slice(0, request.maxEntries), truncated };
  }

  async read(request: FilesReadRequest): Promise<FilesReadReply> {
    const result = await this.run(request.instanceId, READ_SCRIPT, [request.path, String(request.offset), String(request.length)], request.length + 8192);
    if ('ok' in result) return result;
    const failed = failure(result, request.path, {
      [EXIT_WRONG_KIND]: ['is_a_directory', 'is a directory'],
      [EXIT_NOT_REGULAR]: ['not_a_regular_file', 'is not a regular file'],
    });
    if (failed) return failed;
    const pathEnd = result.stdout.indexOf(0);
    const sizeEnd = result.stdout.indexOf(0, pathEnd + 1);
    if (pathEnd < 0 || sizeEnd < 0) return { ok: false, code: 'files_failed', message: 'the file could not be read' };
    return {
      ok: true,
      path: result.stdout.subarray(0, pathEnd).toString('utf8'),
      size: Number(result.stdout.subarray(pathEnd + 1, sizeEnd).toString('ascii')),
      data: result.stdout.subarray(sizeEnd + 1),
    };
  }

  private async run(instanceId: string, script: string, args: string[], maxStdoutBytes: number): Promise<ExecBytesResult | Failure> {
    const container = this.docker.getContainer(instanceContainerName(instanceId));
    const cmd = ['timeout', '-s', 'KILL', String(COMMAND_SECONDS), 'sh', '-c', script, 'files', ...args];
    try {
      return await execBytes(container, cmd, { timeoutMs: (COMMAND_SECONDS + 5) * 1000, maxStdoutBytes, workingDir: '/root' });
    } catch (err) {
      if (isDockerNotFound(err) || isDockerConflict(err)) return notRunning(instanceId);
      throw err;
    }
  }
}

/** The refusal a script's exit code stands for, or null when it succeeded. */
function failure(result: ExecBytesResult, path: string, wrongKind: Record<number, [string, string]>): Failure | null {
  if (result.exitCode === 0) return null;
  if (result.exitCode === EXIT_MISSING) return { ok: false, code: 'file_not_found', message: `${path} does not exist` };
  if (result.exitCode === EXIT_KILLED) return { ok: false, code: 'timeout', message: `reading ${path} took longer than ${COMMAND_SECONDS} s` };
  const known = result.exitCode === null ? undefined : wrongKind[result.exitCode];
  if (known) return { ok: false, code: known[0], message: `${path} ${known[1]}` };
  return { ok: false, code: 'files_failed', message: result.stderr.trim() || `exit code ${result.exitCode}` };
}

/** find's `-printf` records (type, target type, size, mtime, link target, name), whole ones only. */
export function parseEntries(output: Buffer): Array<Omit<FileEntry, 'path'>> {
  // Every field ends with a NUL: what follows the last one is empty, or a record cut short.
  const fields = output.toString('utf8').split('\0').slice(0, -1);
  const entries: Array<Omit<FileEntry, 'path'>> = [];
  for (let i = 0; i + FIELDS_PER_ENTRY <= fields.length; i += FIELDS_PER_ENTRY) {
    const [type, targetType, size, mtime, target, name] = fields.slice(i, i + FIELDS_PER_ENTRY) as [string, string, string, string, string, string];
    const kind = KINDS[type] ?? 'other';
    entries.push({
      name,
      kind,
      size: Number(size) || 0,
      modifiedAt: new Date(Number(mtime) * 1000).toISOString(),
      ...(kind === 'symlink' ? { target, targetKind: KINDS[targetType] ?? 'other' } : {}),
    });
  }
  return entries;
}
