import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL } from '@playground/contracts';
import { isDockerConflict, isDockerNotFound } from '../errors.ts';
import { lastLogLine } from './container-logs.ts';

// One read-only copy of the inner engine's programs (dockerd, containerd, its shim, runc,
// docker-proxy, docker-init) per instance image on a node, mounted into every instance.
//
// Why: the engine's data root is btrfs (for disk limits), where each instance's root file
// system is a snapshot with files of its own, so every instance read its own 150 MB of engine
// programs into the page cache and was charged for it. Docker 26 made that 14 MiB more per
// idle instance than Docker 20.10 (bench/README.md). Programs run from one shared file are
// cached once per node and charged once, and a new instance starts from pages already cached.
//
// Why it is safe in the `userns` mode: the files and their directories are owned by the host's
// root, which is not mapped into any instance's user namespace, so root in an instance can
// neither write nor replace them, even on a mount it made writable again. In the unsafe modes
// root in an instance is root on the host anyway, so they get no shared copy: one instance
// must not be able to change what another runs.

/** Where the copy appears in an instance; playground-init puts it first in dockerd's PATH. */
export const SHARED_ENGINE_DIR = '/opt/playground/engine';
/** The variable that tells playground-init where the programs are (infra/instance/rootfs). */
export const SHARED_ENGINE_ENV = 'PLAYGROUND_SHARED_ENGINE';
export const SHARED_ENGINE_ROLE = 'engine-programs';
const ROLE_LABEL = 'playground.role';
const IMAGE_LABEL = 'playground.image';
const PROGRAMS = ['dockerd', 'containerd', 'containerd-shim-runc-v2', 'runc', 'docker-proxy', 'docker-init'];

// Runs in the instance image as the host's root, with the volume at /shared. The copy is made
// in a directory of its own and renamed when whole, so a copy cut short is never used and two
// agents preparing at once (several nodes on one engine) do not mix their files.
const COPY_SCRIPT = `set -eu
cd /shared
[ -d bin ] && exit 0
command -v dockerd >/dev/null || { echo "the image has no dockerd" >&2; exit 3; }
find . -maxdepth 1 -name 'bin.partial.*' -mmin +10 -exec rm -rf {} +
tmp=$(mktemp -d bin.partial.XXXXXX)
for name in ${PROGRAMS.join(' ')}; do
  if path=$(command -v "$name"); then cp -L "$path" "$tmp/$name"; fi
done
chown -R 0:0 /shared && chmod 0755 /shared "$tmp" "$tmp"/*
mv -T "$tmp" bin 2>/dev/null || rm -rf "$tmp"
[ -x bin/dockerd ]`;

export function sharedEngineVolumeName(imageId: string): string {
  return `playground-engine-${imageId.replace(/^sha256:/, '').slice(0, 12)}`;
}

export class SharedEngine {
  /** Per image id: the tag may move to a new image while the agent runs (the warm pool renews its members then). */
  private readonly ready = new Map<string, Promise<Docker.MountSettings | undefined>>();

  constructor(
    private readonly docker: Docker,
    private readonly image: string,
    private readonly log: Logger,
  ) {}

  /**
   * The mount that gives an instance the node's copy, made on first use. Undefined when it
   * cannot be made: instances then run the programs of their own root file system, as before.
   */
  async mount(): Promise<Docker.MountSettings | undefined> {
    const imageId = (await this.docker.getImage(this.image).inspect()).Id;
    let ready = this.ready.get(imageId);
    if (!ready) {
      ready = this.prepare(imageId).catch((err: unknown) => {
        this.log.error({ err, image: this.image }, 'shared_engine.unavailable: instances run their own copy of the engine (more memory per instance)');
        this.ready.delete(imageId); // tried again for the next instance
        return undefined;
      });
      this.ready.set(imageId, ready);
    }
    return ready;
  }

  private async prepare(imageId: string): Promise<Docker.MountSettings> {
    const name = sharedEngineVolumeName(imageId);
    await this.docker.createVolume({ Name: name, Labels: { [LABEL.managed]: 'true', [ROLE_LABEL]: SHARED_ENGINE_ROLE, [IMAGE_LABEL]: imageId } });
    await this.copyPrograms(name);
    await this.removeStale(imageId);
    for (const other of this.ready.keys()) if (other !== imageId) this.ready.delete(other);
    this.log.info({ volume: name, image: imageId }, 'shared_engine.ready');
    return { Type: 'volume', Source: name, Target: SHARED_ENGINE_DIR, ReadOnly: true };
  }

  private async copyPrograms(volume: string): Promise<void> {
    const container = await this.docker.createContainer({
      Image: this.image,
      Entrypoint: ['/bin/sh', '-c', COPY_SCRIPT],
      User: '0',
      Labels: { [LABEL.managed]: 'true', [ROLE_LABEL]: SHARED_ENGINE_ROLE },
      HostConfig: {
        UsernsMode: 'host',
        NetworkMode: 'none',
        Mounts: [{ Type: 'volume', Source: volume, Target: '/shared' }],
        // The image declares /var/lib/docker a volume: without a mount there, every copy would
        // leave an anonymous volume behind (one per agent start).
        Tmpfs: { '/var/lib/docker': 'size=1m' },
      },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`copying the engine programs of ${this.image} failed (exit ${StatusCode}): ${await lastLogLine(container)}`);
    } finally {
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }

  /** Copies for images no longer used; one still mounted by a running instance stays until next time. */
  private async removeStale(currentImageId: string): Promise<void> {
    const { Volumes } = await this.docker.listVolumes({ filters: { label: [`${ROLE_LABEL}=${SHARED_ENGINE_ROLE}`] } });
    for (const volume of Volumes ?? []) {
      if (volume.Labels?.[IMAGE_LABEL] === currentImageId) continue;
      try {
        await this.docker.getVolume(volume.Name).remove();
        this.log.info({ volume: volume.Name }, 'shared_engine.stale_removed');
      } catch (err) {
        if (!isDockerNotFound(err) && !isDockerConflict(err)) throw err;
      }
    }
  }
}
