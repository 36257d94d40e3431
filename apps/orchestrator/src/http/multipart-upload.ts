import { formatBytes, PlaygroundError, UploadRequest } from '@playground/contracts';
import type { FastifyRequest } from 'fastify';
import type { InstanceCommands } from '../instance-commands.ts';

// A multipart/form-data body of files, each written into an instance's directory: the
// file panel's drag and drop and Play with Docker's uploads. @fastify/multipart must be
// registered in the caller's scope with `limits.fileSize` = maxBytes.

export interface UploadTarget {
  sessionId: string;
  instanceId: string;
  /** Absolute directory inside the instance. */
  directory: string;
}

export interface UploadedFile {
  name: string;
  size: number;
}

/** How long a refused upload's remaining body is read and dropped before answering anyway. */
const DRAIN_MAX_MS = 30_000;

/**
 * Reads and drops what is left of a request body. Answering an upload before its body is read
 * makes Node close the connection under the sender, so the browser (and the edge's proxy) may
 * see a reset instead of our 400 or 413.
 */
export async function drainRequest(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, DRAIN_MAX_MS);
    function finish() {
      clearTimeout(timer);
      raw.off('end', finish).off('close', finish).off('error', finish);
      resolve();
    }
    raw.on('end', finish).on('close', finish).on('error', finish);
    raw.resume();
  });
}

/** Writes each file part into `target.directory`; a refusal is answered once the body is read. */
export async function uploadMultipart(
  request: FastifyRequest,
  commands: Pick<InstanceCommands, 'upload'>,
  target: UploadTarget,
  maxBytes: number,
): Promise<UploadedFile[]> {
  if (!request.isMultipart()) throw new PlaygroundError('bad_request', 'An upload is a multipart/form-data body with the files.');
  try {
    return await uploadParts(request, commands, target, maxBytes);
  } catch (error) {
    await drainRequest(request);
    throw error;
  }
}

async function uploadParts(
  request: FastifyRequest,
  commands: Pick<InstanceCommands, 'upload'>,
  target: UploadTarget,
  maxBytes: number,
): Promise<UploadedFile[]> {
  const uploaded: UploadedFile[] = [];
  for await (const part of request.files()) {
    const fileName = UploadRequest.shape.fileName.safeParse(part.filename);
    if (!fileName.success) throw new PlaygroundError('bad_request', `"${part.filename}" is not a plain file name.`);
    const data = await part.toBuffer().catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw error;
      throw new PlaygroundError('file_too_large', `"${fileName.data}" is larger than the upload limit of ${formatBytes(maxBytes)}.`);
    });
    await commands.upload(target.sessionId, target.instanceId, { directory: target.directory, fileName: fileName.data, data });
    uploaded.push({ name: fileName.data, size: data.length });
  }
  if (uploaded.length === 0) throw new PlaygroundError('bad_request', 'The upload carried no file.');
  return uploaded;
}
