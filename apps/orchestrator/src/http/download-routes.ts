import type { Readable } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PlaygroundError } from '@playground/contracts';
import { ImageName, StreamOpenError, type InstanceArchive } from '@playground/contracts/link-streams';
import { z } from 'zod';
import type { NodeStreams } from '../gateway/node-streams.ts';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Logger } from '../logger.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../service-errors.ts';

// "Download my work": a tarball of an instance's /root, or `docker save` of images in its
// own engine. The node agent makes the archive and streams it over its link; this process
// passes the chunks on as they come (credit-windowed, so a slow download slows the agent
// instead of filling memory here). Errors known before the first byte (no such instance, a
// missing image, the node away) are JSON errors; a failure half-way cuts the response, so the
// browser reports the download as failed instead of saving a truncated file.

export interface DownloadRouteDeps {
  commands: Pick<InstanceCommands, 'requireRunning'>;
  streams: Pick<NodeStreams, 'openArchive'>;
  logger: Logger;
}

type InstanceParams = { Params: { id: string; instanceId: string } };

const PREFIX = '/api/v1/sessions/:id/instances/:instanceId/download';
/** How long the node may take to start an archive (checking images runs `docker image inspect`). */
const START_TIMEOUT_MS = 30_000;

/** `?images=alpine,nginx:1.27` (a comma-separated list, as a form field gives it). */
const ImagesQuery = z.object({
  images: z
    .string({ error: 'Name the images to download: ?images=name[:tag],…' })
    .transform((list) => list.split(',').map((name) => name.trim()).filter(Boolean))
    .pipe(z.array(ImageName).min(1, 'Name at least one image.').max(16, 'At most 16 images at a time.')),
});

export function registerDownloadRoutes(app: FastifyInstance, deps: DownloadRouteDeps): void {
  app.get<InstanceParams>(`${PREFIX}/home`, async (request, reply) => {
    const { id, instanceId } = request.params;
    const instance = await deps.commands.requireRunning(id, instanceId);
    const body = await open(deps, instance.nodeId, instanceId, { what: 'home' });
    return sendArchive(reply, body, `${instance.hostname}-root.tar`);
  });

  app.get<InstanceParams>(`${PREFIX}/images`, async (request, reply) => {
    const parsed = ImagesQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new PlaygroundError('bad_request', parsed.error.issues[0]?.message ?? 'Invalid image names.');
    const { id, instanceId } = request.params;
    const instance = await deps.commands.requireRunning(id, instanceId);
    const body = await open(deps, instance.nodeId, instanceId, { what: 'images', images: parsed.data.images });
    return sendArchive(reply, body, `${instance.hostname}-images.tar`);
  });

  function sendArchive(reply: FastifyReply, body: Readable, fileName: string) {
    body.on('error', (error: Error) => deps.logger.warn({ err: error.message, fileName }, 'download.failed'));
    return reply
      .header('content-type', 'application/x-tar')
      .header('content-disposition', contentDisposition(fileName))
      .header('cache-control', 'no-store')
      .send(body);
  }
}

async function open(deps: DownloadRouteDeps, nodeId: string, instanceId: string, archive: InstanceArchive) {
  try {
    return await deps.streams.openArchive(nodeId, instanceId, archive, START_TIMEOUT_MS);
  } catch (error) {
    throw asPlaygroundError(error);
  }
}

function asPlaygroundError(error: unknown): PlaygroundError {
  if (!(error instanceof StreamOpenError)) return new PlaygroundError('instance_failed', 'The download could not be started.', { cause: error });
  switch (error.code) {
    case 'not_connected':
      return new PlaygroundError('unavailable', 'The machine running this instance is not connected right now. Try again in a moment.', { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS });
    case 'not_found':
      return new PlaygroundError('not_found', `Nothing to download: ${error.message}.`);
    case 'connect_timeout':
      return new PlaygroundError('timeout', 'The machine running this instance did not start the download in time.');
    case 'too_many_streams':
      return new PlaygroundError('rate_limited', 'Too many downloads and port connections at once on this machine. Try again in a moment.', { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS });
    default:
      return new PlaygroundError('instance_failed', `The download could not be started: ${error.message}.`);
  }
}
