import path from 'node:path';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import {
  FILE_CHUNK_MAX_BYTES,
  FILE_LIST_MAX_ENTRIES,
  FilePathQuery,
  FILES_ROOT,
  FileWriteBody,
  formatBytes,
  normalizeInstancePath,
  PlaygroundError,
  type FileEntry,
  type FileListView,
  type FileTextView,
} from '@playground/contracts';
import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Logger } from '../logger.ts';
import { drainRequest, uploadMultipart } from './multipart-upload.ts';

// The file panel's API: list a directory, read and write text for the editor, download,
// upload (multipart). Paths are checked here (contracts/files.ts: under /root, no `..`, no
// NUL); everything else happens inside the instance through its node agent.

export interface FileRouteDeps {
  commands: Pick<InstanceCommands, 'upload' | 'listFiles' | 'readFile'>;
  logger: Logger;
  /** FILES_UPLOAD_MAX_BYTES. */
  uploadMaxBytes: number;
  /** FILES_EDITOR_MAX_BYTES. */
  editorMaxBytes: number;
}

type InstanceParams = { Params: { id: string; instanceId: string } };

const PREFIX = '/api/v1/sessions/:id/instances/:instanceId/files';
/** JSON escapes can make a text up to 6 times its size (\u0000); the text's own size is checked after. */
const JSON_ESCAPE_FACTOR = 6;

/** The normalized path under /root, or a 400 naming what is wrong. */
function requirePath(raw: string): string {
  const normalized = normalizeInstancePath(raw);
  if (normalized instanceof Error) throw new PlaygroundError('bad_request', `Invalid path: ${normalized.message}.`);
  return normalized;
}

function pathFromQuery(request: FastifyRequest): string {
  return requirePath(FilePathQuery.parse(request.query ?? {}).path);
}

/** Directories (and links to them) first, then by name, as a file tree shows them. */
function byTreeOrder(a: FileEntry, b: FileEntry): number {
  const folder = (e: FileEntry) => e.kind === 'directory' || e.targetKind === 'directory';
  if (folder(a) !== folder(b)) return folder(a) ? -1 : 1;
  return a.name.localeCompare(b.name);
}

export async function registerFileRoutes(app: FastifyInstance, deps: FileRouteDeps): Promise<void> {
  const { commands } = deps;
  await app.register(multipart, { limits: { fileSize: deps.uploadMaxBytes, files: 32, fields: 8 } });
  const limits = { uploadMaxBytes: deps.uploadMaxBytes, editorMaxBytes: deps.editorMaxBytes };

  app.get<InstanceParams>(PREFIX, async (request): Promise<FileListView> => {
    const directory = pathFromQuery(request);
    const listing = await commands.listFiles(request.params.id, request.params.instanceId, directory, FILE_LIST_MAX_ENTRIES);
    const entries = listing.entries.map((entry) => ({ ...entry, path: path.posix.join(directory, entry.name) })).sort(byTreeOrder);
    return { path: directory, entries, truncated: listing.truncated, limits };
  });

  app.get<InstanceParams>(`${PREFIX}/text`, async (request): Promise<FileTextView> => {
    const filePath = pathFromQuery(request);
    const { id, instanceId } = request.params;
    const first = await commands.readFile(id, instanceId, { path: filePath, offset: 0, length: Math.min(FILE_CHUNK_MAX_BYTES, deps.editorMaxBytes) });
    if (first.size > deps.editorMaxBytes) {
      throw new PlaygroundError('file_too_large', `${filePath} is ${formatBytes(first.size)}; the editor opens files up to ${formatBytes(deps.editorMaxBytes)}. Download it instead.`);
    }
    const chunks = [first.data];
    for (let offset = first.data.length; offset < first.size; ) {
      const next = await commands.readFile(id, instanceId, { path: first.path, offset, length: Math.min(FILE_CHUNK_MAX_BYTES, first.size - offset) });
      if (next.data.length === 0) break;
      chunks.push(next.data);
      offset += next.data.length;
    }
    return { path: filePath, size: first.size, content: decodeText(filePath, Buffer.concat(chunks)) };
  });

  app.put<InstanceParams>(`${PREFIX}/text`, { bodyLimit: deps.editorMaxBytes * JSON_ESCAPE_FACTOR + 1024 }, async (request) => {
    const body = FileWriteBody.parse(request.body ?? {});
    const filePath = requirePath(body.path);
    if (filePath === FILES_ROOT) throw new PlaygroundError('bad_request', `${FILES_ROOT} is a directory, not a file.`);
    const data = Buffer.from(body.content, 'utf8');
    if (data.length > deps.editorMaxBytes) {
      throw new PlaygroundError('file_too_large', `The text is ${formatBytes(data.length)}; the editor saves files up to ${formatBytes(deps.editorMaxBytes)}.`);
    }
    const file = { directory: path.posix.dirname(filePath), fileName: path.posix.basename(filePath), data };
    await commands.upload(request.params.id, request.params.instanceId, file);
    return { path: filePath, size: data.length };
  });

  // The first chunk is read before answering, so a missing file or a directory is a JSON error;
  // the rest streams chunk by chunk (never the whole file in memory).
  app.get<InstanceParams>(`${PREFIX}/download`, async (request, reply) => {
    const filePath = pathFromQuery(request);
    const { id, instanceId } = request.params;
    const first = await commands.readFile(id, instanceId, { path: filePath, offset: 0, length: FILE_CHUNK_MAX_BYTES });
    const log = deps.logger.child({ sessionId: id, instanceId, path: filePath });
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield first.data;
      for (let offset = first.data.length; offset < first.size; ) {
        const next = await commands.readFile(id, instanceId, { path: first.path, offset, length: Math.min(FILE_CHUNK_MAX_BYTES, first.size - offset) });
        // A file that shrank mid-download: the response ends short of its Content-Length, so the browser reports it failed.
        if (next.data.length === 0) throw new Error(`the file shrank to ${offset} bytes while it was downloaded`);
        yield next.data;
        offset += next.data.length;
      }
    }
    const body = Readable.from(rest());
    body.on('error', (err) => log.warn({ err: err.message }, 'files.download_failed'));
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(first.size))
      .header('content-disposition', contentDisposition(path.posix.basename(filePath)))
      .header('cache-control', 'no-store')
      .send(body);
  });

  app.post<InstanceParams>(`${PREFIX}/upload`, async (request, reply) => {
    let directory: string;
    try {
      directory = pathFromQuery(request);
    } catch (error) {
      await drainRequest(request);
      throw error;
    }
    const target = { sessionId: request.params.id, instanceId: request.params.instanceId, directory };
    const uploaded = await uploadMultipart(request, commands, target, deps.uploadMaxBytes);
    return reply.code(201).send({ files: uploaded.map((file) => ({ path: path.posix.join(directory, file.name), size: file.size })) });
  });
}

/** The file as UTF-8 text, or a 415 when it is binary (a NUL byte, or bytes that are not UTF-8). */
function decodeText(filePath: string, data: Buffer): string {
  const refused = () => new PlaygroundError('unsupported_file', `${filePath} is not a text file; the editor opens UTF-8 text only. Download it instead.`);
  if (data.includes(0)) throw refused();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw refused();
  }
}
