import type Docker from 'dockerode';
import type { Logger } from 'pino';
import {
  LABEL,
  instanceContainerName,
  instanceVolumeName,
  sessionNetworkName,
  type CreateInstanceJob,
  type CreateInstanceResult,
  type DeleteInstanceJob,
  type InstanceLimits,
  type LiveInstances,
} from '@playground/contracts';
import { AgentError, ImageMissingError, InstanceFailedError, InstanceTimeoutError, isDockerConflict, isDockerNotFound } from '../errors.ts';
import { delegateCgroups } from './cgroup-delegation.ts';
import { diskHostConfig, diskQuotaSupport, limitVolume, type DiskQuotaSupport } from './disk-quota.ts';
import { engineAnswers, type ReadinessProbe } from './engine-readiness.ts';
import type { BusyWork, InstanceProvisioner, ManagedInstance, ReconcileOutcome } from './instance-provisioner.ts';
import { claimContainer } from './pool-claim.ts';
import { claimRecordFromLabels, claimRecordLabels, claimRecordName, listClaimRecords, POOL_LABEL, type ClaimRecord } from './pool-records.ts';
import { isolationOptions, type SecurityMode } from './isolation.ts';
import { WarmPool } from './warm-pool.ts';

export interface DockerInstanceProvisionerOptions {
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
  /** Called before an instance's container is removed (terminals close first). */
  onRemoving?: (instanceId: string) => void;
  /** Called once an instance is ready (e.g. to start its shell before the first viewer). */
  onReady?: (instanceId: string) => void;
  /**
   * Hard limit in bytes on what an instance writes (root file system; and its /var/lib/docker
   * volume on btrfs), enforced by the engine's file system (disk-quota.ts). 0 or absent: none.
   */
  diskBytes?: number;
  /** Started, idle instances kept for instant creation; absent or size 0: none. */
  warmPool?: { size: number; capacity: number; checkIntervalMs: number };
}

/** Limits of an idle pool member; a claim applies the job's own. */
const POOL_MEMBER_LIMITS: InstanceLimits = { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 1024 };

const READY_POLL_MS = 100;
/** After this long without finding the inner socket through /proc, probe with `docker version` too. */
const EXEC_PROBE_AFTER_MS = 5000;
/** How long a stop we caused is remembered, so its late `die` event is not taken for a crash. */
const EXPECTED_STOP_TTL_MS = 120_000;

/** Instances as Docker containers on per-session bridge networks, each with a volume for its inner engine. */
export class DockerInstanceProvisioner implements InstanceProvisioner {
  private readonly docker: Docker;
  private readonly opts: DockerInstanceProvisionerOptions;
  private readonly log: Logger;
  /** Serialises network creation/removal per session (Docker allows duplicate network names). */
  private readonly sessionLocks = new Map<string, Promise<unknown>>();
  private readonly expectedStops = new Map<string, number>();
  /** What the engine's file system can limit; known before the first container is made. */
  private disk: DiskQuotaSupport = 'none';
  private diskChecked: Promise<void> | undefined;
  readonly pool: WarmPool | undefined;

  constructor(opts: DockerInstanceProvisionerOptions) {
    this.opts = opts;
    this.docker = opts.docker;
    this.log = opts.logger;
    if (opts.warmPool && opts.warmPool.size > 0) {
      this.pool = new WarmPool({
        docker: opts.docker,
        nodeId: opts.nodeId,
        image: opts.image,
        size: opts.warmPool.size,
        capacity: opts.warmPool.capacity,
        checkIntervalMs: opts.warmPool.checkIntervalMs,
        countInstances: async () => (await this.listInstances()).filter((i) => i.running).length,
        createOptions: ({ name, volume, hostname, network, labels }) => ({
          name,
          Image: opts.image,
          Hostname: hostname,
          Env: this.env(),
          Labels: labels,
          HostConfig: this.hostConfig(POOL_MEMBER_LIMITS, network, volume),
          NetworkingConfig: { EndpointsConfig: { [network]: {} } },
        }),
        prepareVolume: (volume) => this.prepareVolume(volume),
        waitReady: (container, hostname) => this.waitUntilReady(container, hostname),
        logger: opts.logger,
      });
    }
  }

  /** Starts keeping the warm pool filled (adopting members an earlier process left). */
  startPool(): void {
    this.pool?.start();
  }

  /** Stops refilling; pool members stay for the next agent process. */
  async stopPool(): Promise<void> {
    await this.pool?.stop();
  }

  warmCount(): number {
    return this.pool?.readyCount ?? 0;
  }

  private env(): string[] {
    // Init gives every image a zombie reaper as PID 1; an image that brings its own tini
    // (ours does) would warn that it is not PID 1, so it is told to act as a subreaper.
    return [`MIRROR_PORT=${this.opts.mirrorPort}`, 'TINI_SUBREAPER=1'];
  }

  private labels(extra: Record<string, string>): Record<string, string> {
    return { [LABEL.managed]: 'true', [LABEL.node]: this.opts.nodeId, ...extra };
  }

  private nodeFilter(extra: string[] = []): { label: string[] } {
    return { label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.opts.nodeId}`, ...extra] };
  }

  private withSessionLock<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.sessionLocks.get(sessionId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.sessionLocks.set(sessionId, settled);
    void settled.then(() => {
      if (this.sessionLocks.get(sessionId) === settled) this.sessionLocks.delete(sessionId);
    });
    return next;
  }

  private markExpectedStop(instanceId: string): void {
    const now = Date.now();
    this.expectedStops.set(instanceId, now);
    for (const [id, at] of this.expectedStops) if (now - at > EXPECTED_STOP_TTL_MS) this.expectedStops.delete(id);
  }

  isExpectedStop(instanceId: string): boolean {
    const at = this.expectedStops.get(instanceId);
    return at !== undefined && Date.now() - at <= EXPECTED_STOP_TTL_MS;
  }

  private async ensureImage(): Promise<void> {
    try {
      await this.docker.getImage(this.opts.image).inspect();
    } catch (err) {
      if (isDockerNotFound(err)) throw new ImageMissingError(this.opts.image, this.opts.nodeId);
      throw new AgentError('engine_unavailable', `the Docker engine of node ${this.opts.nodeId} does not answer`, { cause: err });
    }
  }

  private async ensureNetwork(sessionId: string): Promise<void> {
    const name = sessionNetworkName(sessionId);
    try {
      await this.docker.getNetwork(name).inspect();
      return;
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
    }
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: this.labels({ [LABEL.session]: sessionId }),
      });
      this.log.info({ sessionId, network: name }, 'session.network.created');
    } catch (err) {
      if (!isDockerConflict(err)) throw err; // made meanwhile by another agent process: fine
    }
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

  /** Before a new engine volume is used: its size limit, where the file system allows one. */
  private async prepareVolume(volume: string): Promise<void> {
    await this.checkDisk();
    if (this.disk === 'btrfs') await limitVolume(this.docker, volume, this.opts.diskBytes ?? 0, this.log);
  }

  private hostConfig(limits: InstanceLimits, network: string, volume: string): Docker.HostConfig {
    return {
      ...diskHostConfig(this.disk, this.opts.diskBytes ?? 0),
      NetworkMode: network,
      Init: true,
      NanoCpus: Math.round(limits.cpus * 1e9),
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      PidsLimit: limits.pids,
      // Only the instance's own volume: never the host's Docker socket nor any host path.
      Mounts: [{ Type: 'volume', Source: volume, Target: '/var/lib/docker' }],
      ...isolationOptions(this.opts.securityMode, this.opts.ociRuntime),
    };
  }

  async createInstance(job: CreateInstanceJob): Promise<CreateInstanceResult> {
    const started = Date.now();
    const name = instanceContainerName(job.instanceId);
    const container = this.docker.getContainer(name);
    this.expectedStops.delete(job.instanceId);

    // Idempotent: a retried or re-sent job finds the container it made before.
    let existing: Docker.ContainerInspectInfo | undefined;
    try {
      existing = await container.inspect();
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
    }

    if (!existing) {
      const claimed = await this.createFromPool(job, started);
      if (claimed) return claimed;
    }

    let made = false;
    try {
      if (!existing) {
        await this.ensureImage();
        await this.withSessionLock(job.sessionId, async () => {
          await this.ensureNetwork(job.sessionId);
          await this.docker.createVolume({
            Name: instanceVolumeName(job.instanceId),
            Labels: this.labels({ [LABEL.session]: job.sessionId, [LABEL.instance]: job.instanceId }),
          });
          made = true;
          await this.prepareVolume(instanceVolumeName(job.instanceId));
          await this.docker.createContainer({
            name,
            Image: this.opts.image,
            Hostname: job.hostname,
            Env: this.env(),
            Labels: this.labels({
              [LABEL.session]: job.sessionId,
              [LABEL.instance]: job.instanceId,
              [LABEL.hostname]: job.hostname,
            }),
            HostConfig: this.hostConfig(job.limits, sessionNetworkName(job.sessionId), instanceVolumeName(job.instanceId)),
            NetworkingConfig: {
              EndpointsConfig: { [sessionNetworkName(job.sessionId)]: { Aliases: [job.hostname] } },
            },
          });
        });
      }
      if (!existing?.State.Running) await container.start();
      const info = await this.waitUntilReady(container, job.hostname);
      const ip = info.NetworkSettings.Networks[sessionNetworkName(job.sessionId)]?.IPAddress;
      if (!ip) throw new InstanceFailedError(`instance ${job.hostname} has no address on its session network`);
      this.log.info({ instanceId: job.instanceId, sessionId: job.sessionId, ms: Date.now() - started, adopted: !!existing }, 'instance.created');
      this.opts.onReady?.(job.instanceId);
      return { instanceId: job.instanceId, containerId: info.Id, ip };
    } catch (err) {
      if (made) await this.removeInstance(job.instanceId).catch(() => undefined);
      if (err instanceof AgentError) throw err;
      if (isDockerConflict(err) && !made) {
        throw new InstanceFailedError(`instance ${job.hostname} is being created by another request; try again`, err);
      }
      this.log.warn({ instanceId: job.instanceId, err: String(err) }, 'instance.failed');
      throw new InstanceFailedError(`instance ${job.hostname} could not be started on node ${this.opts.nodeId}`, err);
    }
  }

  /**
   * Serves the job with a warm pool member: finishes a claim a crashed attempt left half done,
   * or claims a new member. Undefined when the pool has none (the caller cold-starts). A
   * member whose claim fails is removed, never returned, and the next one is tried.
   */
  private async createFromPool(job: CreateInstanceJob, started: number): Promise<CreateInstanceResult | undefined> {
    const pool = this.pool;
    let record = await this.readClaimRecord(job.instanceId);
    if (record && !(await this.containerExists(record.containerId))) {
      await this.removeInstance(job.instanceId);
      record = undefined;
    }
    let daemonJson: string | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      daemonJson = undefined;
      if (!record) {
        const member = await pool?.take();
        if (!member) return undefined;
        daemonJson = member.daemonJson;
        record = { instanceId: job.instanceId, sessionId: job.sessionId, hostname: job.hostname, containerId: member.containerId, volume: member.volume };
      }
      const claim = record;
      record = undefined;
      try {
        // The record first: from here on the container is this instance's, whatever happens.
        const t0 = Date.now();
        await this.withSessionLock(job.sessionId, () =>
          Promise.all([
            this.ensureNetwork(job.sessionId),
            this.docker.createVolume({ Name: claimRecordName(job.instanceId), Labels: claimRecordLabels(this.opts.nodeId, claim) }),
          ]),
        );
        const timings = { record: Date.now() - t0, move: 0, hosts: 0 };
        const info = await claimContainer(
          this.docker,
          { containerId: claim.containerId, poolNetwork: pool?.network ?? '', job, mirrorPort: this.opts.mirrorPort, daemonJson },
          timings,
        );
        const ip = info.NetworkSettings.Networks[sessionNetworkName(job.sessionId)]?.IPAddress;
        if (!ip) throw new InstanceFailedError(`instance ${job.hostname} has no address on its session network`);
        this.log.info({ instanceId: job.instanceId, sessionId: job.sessionId, ms: Date.now() - started, warm: true, ...timings }, 'instance.created');
        this.opts.onReady?.(job.instanceId);
        return { instanceId: job.instanceId, containerId: info.Id, ip };
      } catch (err) {
        this.log.warn({ instanceId: job.instanceId, container: claim.containerId, err: String(err) }, 'instance.claim_failed');
        await this.removeInstance(job.instanceId).catch(() => undefined);
      }
    }
    return undefined;
  }

  private async containerExists(idOrName: string): Promise<boolean> {
    try {
      await this.docker.getContainer(idOrName).inspect();
      return true;
    } catch (err) {
      if (isDockerNotFound(err)) return false;
      throw err;
    }
  }

  private async readClaimRecord(instanceId: string): Promise<ClaimRecord | undefined> {
    try {
      const v = await this.docker.getVolume(claimRecordName(instanceId)).inspect();
      return claimRecordFromLabels(v.Labels);
    } catch (err) {
      if (isDockerNotFound(err)) return undefined;
      throw err;
    }
  }

  private async waitUntilReady(container: Docker.Container, hostname: string): Promise<Docker.ContainerInspectInfo> {
    const started = Date.now();
    const deadline = started + this.opts.readyTimeoutMs;
    let info = await container.inspect();
    // Before its inner engine can start a container: in a user namespace it needs its own
    // cgroup directories to make child cgroups in (idempotent, so an adopted instance is fine).
    if (this.opts.securityMode === 'userns' && info.State.Running) await delegateCgroups(info.State.Pid);
    for (;;) {
      if (!info.State.Running) {
        const tail = await this.logTail(container);
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

  /** Last line the instance printed, to tell the learner why it stopped. */
  private async logTail(container: Docker.Container): Promise<string> {
    try {
      const buf = (await container.logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer;
      // Multiplexed frames (no TTY): strip the 8-byte headers.
      const lines: string[] = [];
      let off = 0;
      while (off + 8 <= buf.length) {
        const len = buf.readUInt32BE(off + 4);
        lines.push(buf.subarray(off + 8, off + 8 + len).toString('utf8'));
        off += 8 + len;
      }
      const last = lines.join('').trim().split('\n').pop() ?? '';
      return last.slice(0, 300);
    } catch {
      return '';
    }
  }

  /**
   * Force-removes the container and its volume; silent when they are already gone. A claimed
   * pool container is found through its claim record too (a claim cut short before the
   * rename), and its engine volume goes with it; the record itself goes last, so an
   * interrupted removal is finished by the next one.
   */
  private async removeInstance(instanceId: string): Promise<void> {
    this.markExpectedStop(instanceId);
    this.opts.onRemoving?.(instanceId);
    const record = await this.readClaimRecord(instanceId);
    const containers = [instanceContainerName(instanceId), ...(record ? [record.containerId] : [])];
    for (const c of containers) {
      try {
        await this.docker.getContainer(c).remove({ force: true, v: true });
      } catch (err) {
        if (!isDockerNotFound(err) && !isDockerConflict(err)) throw err; // 409: removal already in progress
      }
    }
    await this.removeVolume(instanceVolumeName(instanceId));
    if (record) {
      if (record.volume) await this.removeVolume(record.volume);
      await this.removeVolume(claimRecordName(instanceId));
    }
  }

  private async removeVolume(name: string): Promise<void> {
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

  async deleteInstance(job: DeleteInstanceJob): Promise<void> {
    await this.removeInstance(job.instanceId);
    this.log.info({ instanceId: job.instanceId, sessionId: job.sessionId }, 'instance.deleted');
    this.pool?.schedule(); // capacity freed: the pool may refill
  }

  async closeSession(sessionId: string): Promise<void> {
    // listInstances: labelled instances and claimed pool containers alike.
    const containers = (await this.listInstances()).filter((i) => i.sessionId === sessionId);
    await Promise.all(containers.map((c) => this.removeInstance(c.instanceId)));
    const volumes = await this.docker.listVolumes({ filters: this.nodeFilter([`${LABEL.session}=${sessionId}`]) });
    await Promise.all((volumes.Volumes ?? []).map((v) => this.removeVolume(v.Name)));
    await this.withSessionLock(sessionId, () => this.removeNetwork(sessionNetworkName(sessionId)));
    this.log.info({ sessionId, instances: containers.length }, 'session.closed');
    this.pool?.schedule();
  }

  private async removeNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
    }
  }

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

  async reconcile(live: LiveInstances, busy: BusyWork): Promise<ReconcileOutcome> {
    const liveInstances = new Set(live.instanceIds);
    const liveSessions = new Set(live.sessionIds);
    const outcome: ReconcileOutcome = { removedInstances: [], removedSessions: [], gone: [] };

    const instances = await this.listInstances();
    const present = new Map(instances.map((i) => [i.instanceId, i]));
    for (const inst of instances) {
      if (liveInstances.has(inst.instanceId) || busy.instanceIds.has(inst.instanceId)) continue;
      await this.removeInstance(inst.instanceId);
      outcome.removedInstances.push(inst.instanceId);
    }
    const volumes = await this.docker.listVolumes({ filters: this.nodeFilter() });
    for (const v of volumes.Volumes ?? []) {
      const instanceId = v.Labels?.[LABEL.instance];
      if (instanceId && !liveInstances.has(instanceId) && !busy.instanceIds.has(instanceId)) await this.removeVolume(v.Name);
    }
    const networks = await this.docker.listNetworks({ filters: this.nodeFilter() });
    for (const n of networks) {
      const sessionId = n.Labels?.[LABEL.session];
      if (!sessionId || liveSessions.has(sessionId) || busy.sessionIds.has(sessionId)) continue;
      await this.withSessionLock(sessionId, () => this.removeNetwork(n.Name)).catch((err) =>
        this.log.warn({ sessionId, err: String(err) }, 'session.network.remove_failed'),
      );
      outcome.removedSessions.push(sessionId);
    }
    for (const instanceId of live.instanceIds) {
      if (busy.instanceIds.has(instanceId)) continue;
      const inst = present.get(instanceId);
      if (!inst) outcome.gone.push({ instanceId, reason: 'its container no longer exists on the node' });
      else if (!inst.running) outcome.gone.push({ instanceId, reason: 'its container stopped' });
    }
    this.pool?.schedule();
    return outcome;
  }
}
