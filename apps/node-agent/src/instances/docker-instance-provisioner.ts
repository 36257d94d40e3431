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
  type LiveInstances,
} from '@playground/contracts';
import { AgentError, InstanceFailedError, isDockerConflict, isDockerNotFound } from '../errors.ts';
import type { BusyWork, InstanceProvisioner, ManagedInstance, ReconcileOutcome } from './instance-provisioner.ts';
import type { InstanceResources } from './instance-resources.ts';
import { claimContainer } from './pool-claim.ts';
import { claimRecordFromLabels, claimRecordLabels, claimRecordName, type ClaimRecord } from './pool-records.ts';
import type { WarmPool } from './warm-pool.ts';

export interface DockerInstanceProvisionerOptions {
  /** Makes and removes the networks, volumes and containers instances are made of. */
  resources: InstanceResources;
  /** Where a new instance is taken from first; absent: every instance is cold-started. */
  pool?: WarmPool;
  logger: Logger;
  /** Called before an instance's container is removed (terminals close first). */
  onRemoving?: (instanceId: string) => void;
  /** Called once an instance is ready (e.g. to start its shell before the first viewer). */
  onReady?: (instanceId: string) => void;
}

/** How long a stop we caused is remembered, so its late `die` event is not taken for a crash. */
const EXPECTED_STOP_TTL_MS = 120_000;

/**
 * Instances as Docker containers on per-session bridge networks, each with a volume for its
 * inner engine: claimed from the warm pool when it has a member, else started cold.
 */
export class DockerInstanceProvisioner implements InstanceProvisioner {
  private readonly docker: Docker;
  private readonly resources: InstanceResources;
  private readonly opts: DockerInstanceProvisionerOptions;
  private readonly log: Logger;
  /** Serialises network creation/removal per session (Docker allows duplicate network names). */
  private readonly sessionLocks = new Map<string, Promise<unknown>>();
  private readonly expectedStops = new Map<string, number>();
  readonly pool: WarmPool | undefined;

  constructor(opts: DockerInstanceProvisionerOptions) {
    this.opts = opts;
    this.resources = opts.resources;
    this.docker = opts.resources.docker;
    this.pool = opts.pool;
    this.log = opts.logger;
  }

  private get nodeId(): string {
    return this.resources.nodeId;
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

  private async ensureSessionNetwork(sessionId: string): Promise<void> {
    const network = sessionNetworkName(sessionId);
    if (await this.resources.ensureNetwork(network, this.resources.labels({ [LABEL.session]: sessionId }))) {
      this.log.info({ sessionId, network }, 'session.network.created');
    }
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
        await this.resources.ensureImage();
        await this.withSessionLock(job.sessionId, async () => {
          const volume = instanceVolumeName(job.instanceId);
          await this.ensureSessionNetwork(job.sessionId);
          await this.resources.createVolume(volume, this.resources.labels({ [LABEL.session]: job.sessionId, [LABEL.instance]: job.instanceId }));
          made = true;
          await this.resources.limitVolume(volume);
          await this.resources.createContainer({
            name,
            hostname: job.hostname,
            labels: this.resources.labels({ [LABEL.session]: job.sessionId, [LABEL.instance]: job.instanceId, [LABEL.hostname]: job.hostname }),
            limits: job.limits,
            network: sessionNetworkName(job.sessionId),
            volume,
            aliases: [job.hostname],
          });
        });
      }
      if (!existing?.State.Running) await container.start();
      const info = await this.resources.waitUntilReady(container, job.hostname);
      const ip = info.NetworkSettings.Networks[sessionNetworkName(job.sessionId)]?.IPAddress;
      if (!ip) throw new InstanceFailedError(`instance ${job.hostname} has no address on its session network`);
      this.log.info({ instanceId: job.instanceId, sessionId: job.sessionId, ms: Date.now() - started, adopted: !!existing }, 'instance.created');
      this.opts.onReady?.(job.instanceId);
      return { instanceId: job.instanceId, containerId: info.Id, ip };
    } catch (err) {
      if (made) await this.cleanUp(job.instanceId);
      if (err instanceof AgentError) throw err;
      if (isDockerConflict(err) && !made) {
        throw new InstanceFailedError(`instance ${job.hostname} is being created by another request; try again`, err);
      }
      this.log.warn({ instanceId: job.instanceId, err: String(err) }, 'instance.failed');
      throw new InstanceFailedError(`instance ${job.hostname} could not be started on node ${this.nodeId}`, err);
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
    if (record && !(await this.resources.containerExists(record.containerId))) {
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
            this.ensureSessionNetwork(job.sessionId),
            this.resources.createVolume(claimRecordName(job.instanceId), claimRecordLabels(this.nodeId, claim)),
          ]),
        );
        const timings = { record: Date.now() - t0, move: 0, hosts: 0 };
        const info = await claimContainer(
          this.docker,
          { containerId: claim.containerId, poolNetwork: pool?.network ?? '', job, mirrorPort: this.resources.mirrorPort, daemonJson },
          timings,
        );
        const ip = info.NetworkSettings.Networks[sessionNetworkName(job.sessionId)]?.IPAddress;
        if (!ip) throw new InstanceFailedError(`instance ${job.hostname} has no address on its session network`);
        this.log.info({ instanceId: job.instanceId, sessionId: job.sessionId, ms: Date.now() - started, warm: true, ...timings }, 'instance.created');
        this.opts.onReady?.(job.instanceId);
        return { instanceId: job.instanceId, containerId: info.Id, ip };
      } catch (err) {
        this.log.warn({ instanceId: job.instanceId, container: claim.containerId, err: String(err) }, 'instance.claim_failed');
        await this.cleanUp(job.instanceId);
      }
    }
    return undefined;
  }

  /** After a failed create: removes what it made; a failure here is logged (reconcile sweeps the rest later). */
  private async cleanUp(instanceId: string): Promise<void> {
    await this.removeInstance(instanceId).catch((err: unknown) => this.log.warn({ instanceId, err: String(err) }, 'instance.cleanup_failed'));
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
    for (const c of containers) await this.resources.removeContainer(c);
    await this.resources.removeVolume(instanceVolumeName(instanceId));
    if (record) {
      if (record.volume) await this.resources.removeVolume(record.volume);
      await this.resources.removeVolume(claimRecordName(instanceId));
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
    const volumes = await this.docker.listVolumes({ filters: this.resources.nodeFilter([`${LABEL.session}=${sessionId}`]) });
    await Promise.all((volumes.Volumes ?? []).map((v) => this.resources.removeVolume(v.Name)));
    await this.withSessionLock(sessionId, () => this.resources.removeNetwork(sessionNetworkName(sessionId)));
    this.log.info({ sessionId, instances: containers.length }, 'session.closed');
    this.pool?.schedule();
  }

  listInstances(): Promise<ManagedInstance[]> {
    return this.resources.listInstances();
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
    const volumes = await this.docker.listVolumes({ filters: this.resources.nodeFilter() });
    for (const v of volumes.Volumes ?? []) {
      const instanceId = v.Labels?.[LABEL.instance];
      if (instanceId && !liveInstances.has(instanceId) && !busy.instanceIds.has(instanceId)) await this.resources.removeVolume(v.Name);
    }
    const networks = await this.docker.listNetworks({ filters: this.resources.nodeFilter() });
    for (const n of networks) {
      const sessionId = n.Labels?.[LABEL.session];
      if (!sessionId || liveSessions.has(sessionId) || busy.sessionIds.has(sessionId)) continue;
      await this.withSessionLock(sessionId, () => this.resources.removeNetwork(n.Name)).catch((err) =>
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
