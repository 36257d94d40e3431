import { Duplex, PassThrough, Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { StreamOpenError, type ArchiveStreamOpen, type InstanceArchive } from '@playground/contracts/link-streams';
import type { ManagedInstance } from './instance-provisioner.ts';
import { execCollect } from './exec-collect.ts';

// "Download my work": archives streamed out of one of this node's instances, chunk by chunk
// over the agent link (contracts/link-streams.ts), never held whole in memory. The
// orchestrator names an instance and what to archive; the agent finds the container itself,
// so a stream can only ever read an instance this agent runs.
// - home: the engine's own archive of /root (GET /containers/:id/archive), a tar as the
//   learner sees the files;
// - images: `docker save` run inside the instance, against its own engine.

/** The learner's home in every instance. */
const HOME = '/root';
/** How long checking that the images exist may take. */
const CHECK_TIMEOUT_MS = 15_000;

export class InstanceArchives {
  constructor(
    private readonly docker: Docker,
    /** This node's instances as the provisioner knows them. */
    private readonly listInstances: () => Promise<ManagedInstance[]>,
    private readonly logger: Logger,
  ) {}

  /** A stream of the archive's bytes; its write side takes nothing (nothing goes in). */
  readonly open = async (request: ArchiveStreamOpen): Promise<Duplex> => {
    const container = await this.containerOf(request.instanceId);
    const bytes = await this.archive(container, request.archive);
    this.logger.info({ instanceId: request.instanceId, archive: request.archive.what }, 'instance.archive_started');
    return Duplex.from({ readable: bytes, writable: discard() });
  };

  private async archive(container: Docker.Container, archive: InstanceArchive): Promise<Readable> {
    if (archive.what === 'home') return (await container.getArchive({ path: HOME })) as unknown as Readable;
    await this.requireImages(container, archive.images);
    return this.saveImages(container, archive.images);
  }

  /** Missing images are named before any byte is sent, so the learner gets a clear error, not a broken tar. */
  private async requireImages(container: Docker.Container, images: string[]): Promise<void> {
    const missing: string[] = [];
    for (const image of images) {
      const check = await execCollect(container, ['docker', 'image', 'inspect', '--format', '{{.Id}}', image], CHECK_TIMEOUT_MS);
      if (check.exitCode !== 0) missing.push(image);
    }
    if (missing.length) throw new StreamOpenError('not_found', `no such image in this instance: ${missing.join(', ')}`);
  }

  private async saveImages(container: Docker.Container, images: string[]): Promise<Readable> {
    const exec = await container.exec({ Cmd: ['docker', 'save', ...images], AttachStdout: true, AttachStderr: true, Tty: false });
    const raw = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const errors = new PassThrough();
    let stderr = '';
    errors.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    container.modem.demuxStream(raw, out, errors);
    // The tar ends where the command ends; a failure half-way ends the download with an error,
    // so the browser reports it as failed rather than saving a truncated file as complete.
    raw.on('end', async () => {
      const { ExitCode } = await exec.inspect().catch(() => ({ ExitCode: null }));
      if (ExitCode === 0) out.end();
      else out.destroy(new Error(`docker save failed (exit ${ExitCode}): ${stderr.trim()}`));
    });
    raw.on('error', (error: Error) => out.destroy(error));
    out.on('close', () => raw.destroy());
    return out;
  }

  private async containerOf(instanceId: string): Promise<Docker.Container> {
    const instance = (await this.listInstances()).find((candidate) => candidate.instanceId === instanceId && candidate.running);
    if (!instance) throw new StreamOpenError('not_found', 'this node runs no such instance');
    return this.docker.getContainer(instance.containerId);
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
