import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL, type InstanceLimits } from '@playground/contracts';
import { AgentError, ImageMissingError, InstanceFailedError, InstanceTimeoutError, isDockerConflict, isDockerNotFound } from '../errors.ts';
import { delegateCgroups } from './cgroup-delegation.ts';
import { lastLogLine } from './container-logs.ts';
import { diskHostConfig, diskQuotaSupport, limitVolume, type DiskQuotaSupport } from './disk-quota.ts';
import { engineAnswers, type ReadinessProbe } from './engine-readiness.ts';
import type { ManagedInstance } from './instance-provisioner.ts';
import { isolationOptions, type SecurityMode } from './isolation.ts';
import { listClaimRecords, POOL_LABEL, type ClaimRecord } from './pool-records.ts';
import { SHARED_ENGINE_DIR, SHARED_ENGINE_ENV, SharedEngine } from './shared-engine.ts';

// The one owner of the Docker resources an instance is made of on this node: bridge networks,
// engine volumes (with their disk limit), the instance container (its options, labels and
// readiness) and the label queries that find them again. The warm pool and the provisioner
// both build on it; it calls neither.

export interface InstanceResourcesOptions {
  docker: Docker;
  nodeId: string;
  image: string;
  securityMode: SecurityMode;
  ociRuntime?: string;
  mirrorPort: number;
  readyTimeoutMs: number;
  logger: Logger;
  /** How readiness is probed; `auto` prefers /proc and falls back to exec. */
  readinessProbe?: ReadinessProbe;
  /**
   * Hard limit in bytes on what an instance writes (root file system; and its /var/lib/docker
   * volume on btrfs), enforced by the engine's file system (disk-quota.ts). 0 or absent: none.
   */
  diskBytes?: number;
  /**
   * Run every instance's engine from one read-only copy per node (shared-engine.ts). Only in
   * the `userns` mode; elsewhere it is ignored.
   */
  sharedEngine?: boolean;
}

/** What differs between two instance containers; everything else comes from the node's settings. */
export interface InstanceContainerSpec {
  name: string;
  hostname: string;
  labels: Record<string, string>;
  limits: InstanceLimits;
  network: string;
  /** Its inner engine's volume, mounted at /var/lib/docker. */
  volume: string;
  /** Names other containers on the network know it by. */
  aliases?: string[];
}

const READY_POLL_MS = 100;
/** After this long without finding the inner socket through /proc, probe with `docker version` too. */
const EXEC_PROBE_AFTER_MS = 5000;

export class InstanceResources {
  readonly docker: Docker;
  private readonly log: Logger;
  /** What the engine's file system can limit; known before the first container is made. */
  private disk: DiskQuotaSupport = 'none';
  private diskChecked: Promise<void> | undefined;
  private readonly sharedEngine: SharedEngine | undefined;

  constructor(private readonly opts: InstanceResourcesOptions) {
    this.docker = opts.docker;
    this.log = opts.logger;
    if (opts.sharedEngine && opts.securityMode === 'userns') this.sharedEngine = new SharedEngine(opts.docker, opts.image, opts.logger);
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  get image(): string {
    return this.opts.image;
  }

  get mirrorPort(): number {
    return this.opts.mirrorPort;
  }

  /** This node's ownership labels, so a restarted agent finds (adopts or removes) what it made. */
  labels(extra: Record<string, string> = {}): Record<string, string> {
    return { [LABEL.managed]: 'true', [LABEL.node]: this.opts.nodeId, ...extra };
  }

  nodeFilter(extra: string[] = []): { label: string[] } {
    return { label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.opts.nodeId}`, ...extra] };
  }

  async ensureImage(): Promise<void> {
    try {
      await this.docker.getImage(this.opts.image).inspect();
    } catch (err) {
      if (isDockerNotFound(err)) throw new ImageMissingError(this.opts.image, this.opts.nodeId);
      throw new AgentError('engine_unavailable', `the Docker engine of node ${this.opts.nodeId} does not answer`, { cause: err });
    }
  }

  /** Makes the bridge network unless it exists; true when this call made it. */
  async ensureNetwork(name: string, labels: Record<string, string>): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).inspect();
      return false;
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
    }
    try {
      await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
      return true;
    } catch (err) {
      if (!isDockerConflict(err)) throw err; // made meanwhile by another agent process: fine
      return false;
    }
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  /** Before a new engine volume is used: its size limit, where the file system allows one. */
  async limitVolume(name: string): Promise<void> {
    await this.checkDisk();
    if (this.disk === 'btrfs') await limitVolume(this.docker, name, this.opts.diskBytes ?? 0, this.log);
  }

  /** Silent when the volume is gone already; throws when it stays in use. */
  async removeVolume(name: string): Promise<void> {
    // A volume stays "in use" for a moment after a concurrent removal of its container.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.docker.getVolume(name).remove();
        return;
      } catch (err) {
        if (isDockerNotFound(err)) return;
        if (!isDockerConflict(err) || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async createContainer(spec: InstanceContainerSpec): Promise<Docker.Container> {
    const shared = this.sharedEngine ? await this.sharedEngine.mount() : undefined;
    return this.docker.createContainer({
      name: spec.name,
      Image: this.opts.image,
      Hostname: spec.hostname,
      // Init gives every image a zombie reaper as PID 1; an image that brings its own tini
      // (ours does) would warn that it is not PID 1, so it is told to act as a subreaper.
      Env: [`MIRROR_PORT=${this.opts.mirrorPort}`, 'TINI_SUBREAPER=1', ...(shared ? [`${SHARED_ENGINE_ENV}=${SHARED_ENGINE_DIR}/bin`] : [])],
      Labels: spec.labels,
      HostConfig: this.hostConfig(spec, shared),
      NetworkingConfig: { EndpointsConfig: { [spec.network]: spec.aliases ? { Aliases: spec.aliases } : {} } },
    });
  }

  /** Force-removes the container with its anonymous volumes; silent when it is gone or going. */
  async removeContainer(idOrName: string): Promise<void> {
    try {
      await this.docker.getContainer(idOrName).remove({ force: true, v: true });
    } catch (err) {
      if (!isDockerNotFound(err) && !isDockerConflict(err)) throw err; // 409: removal already in progress
    }
  }

  async containerExists(idOrName: string): Promise<boolean> {
    try {
      await this.docker.getContainer(idOrName).inspect();
      return true;
    } catch (err) {
      if (isDockerNotFound(err)) return false;
      throw err;
    }
  }

  /** Resolves with the container's state once its inner engine answers; throws if it stops or times out. */
  async waitUntilReady(container: Docker.Container, hostname: string): Promise<Docker.ContainerInspectInfo> {
    const started = Date.now();
    const deadline = started + this.opts.readyTimeoutMs;
    let info = await container.inspect();
    // Before its inner engine can start a container: in a user namespace it needs its own
    // cgroup directories to make child cgroups in (idempotent, so an adopted instance is fine).
    if (this.opts.securityMode === 'userns' && info.State.Running) await delegateCgroups(info.State.Pid);
    for (;;) {
      if (!info.State.Running) {
        const tail = await lastLogLine(container);
        throw new InstanceFailedError(
          `instance ${hostname} stopped while starting its Docker engine (exit code ${info.State.ExitCode})${tail ? `: ${tail}` : ''}`,
        );
      }
      const slow = Date.now() - started > EXEC_PROBE_AFTER_MS;
      if (await engineAnswers(container, info.State.Pid, this.opts.readinessProbe ?? 'auto', slow).catch(() => false)) return info;
      if (Date.now() > deadline) throw new InstanceTimeoutError(hostname, this.opts.readyTimeoutMs);
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
      info = await container.inspect();
    }
  }

  /** Instances on this node, as their labels (or, for a claimed pool container, its claim record) say. */
  async listInstances(): Promise<ManagedInstance[]> {
    const containers = await this.docker.listContainers({ all: true, filters: this.nodeFilter() });
    const out: ManagedInstance[] = [];
    let claims: Map<string, ClaimRecord> | undefined;
    for (const c of containers) {
      if (c.Labels[POOL_LABEL.member]) {
        // A pool container is an instance once a claim record names it (labels cannot change).
        claims ??= await listClaimRecords(this.docker, this.opts.nodeId);
        const record = claims.get(c.Id);
        if (record) {
          out.push({ instanceId: record.instanceId, sessionId: record.sessionId, hostname: record.hostname, containerId: c.Id, running: c.State === 'running' });
        }
        continue;
      }
      const instanceId = c.Labels[LABEL.instance];
      const sessionId = c.Labels[LABEL.session];
      if (!instanceId || !sessionId) continue;
      out.push({ instanceId, sessionId, hostname: c.Labels[LABEL.hostname] ?? '', containerId: c.Id, running: c.State === 'running' });
    }
    return out;
  }

  private hostConfig(spec: InstanceContainerSpec, sharedEngine: Docker.MountSettings | undefined): Docker.HostConfig {
    const { limits } = spec;
    return {
      ...diskHostConfig(this.disk, this.opts.diskBytes ?? 0),
      NetworkMode: spec.network,
      Init: true,
      NanoCpus: Math.round(limits.cpus * 1e9),
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      PidsLimit: limits.pids,
      // Only the instance's own volume and the node's read-only engine programs: never the
      // host's Docker socket nor any host path.
      Mounts: [{ Type: 'volume', Source: spec.volume, Target: '/var/lib/docker' }, ...(sharedEngine ? [sharedEngine] : [])],
      ...isolationOptions(this.opts.securityMode, this.opts.ociRuntime),
    };
  }

  /** Learns once what the engine can limit; says loudly when a disk limit is wanted but impossible. */
  private checkDisk(): Promise<void> {
    const bytes = this.opts.diskBytes ?? 0;
    if (bytes <= 0) return Promise.resolve();
    this.diskChecked ??= this.docker.info().then(
      (info: { Driver?: string; DriverStatus?: [string, string][] }) => {
        this.disk = diskQuotaSupport(info);
        if (this.disk === 'none') {
          this.log.error(
            { driver: info.Driver, diskBytes: bytes },
            'disk.quota.unavailable: the engine cannot limit instance disks (needs its data root on btrfs with quotas, or overlay2 on XFS with prjquota; see infra/README.md); instances can fill the node',
          );
        } else {
          this.log.info({ support: this.disk, diskBytes: bytes }, 'disk.quota.enabled');
        }
      },
      (err: unknown) => {
        this.diskChecked = undefined; // ask again next time
        throw err;
      },
    );
    return this.diskChecked;
  }
}
