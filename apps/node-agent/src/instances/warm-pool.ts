import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { InstanceLimits } from '@playground/contracts';
import { isDockerNotFound } from '../errors.ts';
import { engineAnswers } from './engine-readiness.ts';
import { execCollect } from './exec-collect.ts';
import type { InstanceResources } from './instance-resources.ts';
import { listClaimRecords, poolMemberPrefix, poolNetworkName, poolVolumeName, POOL_LABEL } from './pool-records.ts';

// Started, idle instances waiting to be claimed, so a new instance is ready in a fraction of
// a second instead of the inner engine's start-up time. Invariants:
// - a member is handed out once and never comes back (a claimed container keeps its claim
//   record and is an instance from then on), so no learner ever sees another's leftovers;
// - members + live instances never exceed the node's capacity;
// - one maintenance pass runs at a time: it adopts members left by an earlier agent process,
//   removes stale ones (stopped, other image, surplus) and then adds members ONE at a time.
// On agent shutdown members are left running; the next start adopts them.
// Members are made and removed through InstanceResources, like every instance; the pool knows
// nothing of the provisioner, which takes members from it (`take`).

const REFILL_DELAY_MS = 1000;
/** After a member failed to start. */
const RETRY_DELAY_MS = 5000;
/** Limits of an idle member; a claim applies the job's own. */
const MEMBER_LIMITS: InstanceLimits = { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 1024 };

export interface PoolMember {
  containerId: string;
  name: string;
  volume: string;
  /** Its inner engine's daemon.json, read while it waits so a claim need not. */
  daemonJson?: string;
}

export interface WarmPoolOptions {
  resources: InstanceResources;
  size: number;
  /** The node's capacity: members + running instances never exceed it. */
  capacity: number;
  /** Time between maintenance passes that nothing triggered. */
  checkIntervalMs: number;
  /** Delay between a claim and the refill it triggers (default REFILL_DELAY_MS). */
  refillDelayMs?: number;
  logger: Logger;
}

export class WarmPool {
  private readonly ready = new Map<string, PoolMember>();
  /** Members given to the provisioner by this process: never adopted, touched or counted again. */
  private readonly handedOut = new Set<string>();
  /** The member being started, which a claim may wait for instead of cold-starting. */
  private warming: Promise<PoolMember | undefined> | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly log: Logger;

  private readonly resources: InstanceResources;

  constructor(private readonly opts: WarmPoolOptions) {
    this.resources = opts.resources;
    this.log = opts.logger.child({ pool: poolNetworkName(opts.resources.nodeId) });
  }

  get network(): string {
    return poolNetworkName(this.resources.nodeId);
  }

  /** Members ready to be claimed now. */
  get readyCount(): number {
    return this.ready.size;
  }

  start(): void {
    if (!this.stopped || this.opts.size <= 0) return;
    this.stopped = false;
    this.timer = setInterval(() => this.schedule(), this.opts.checkIntervalMs);
    this.schedule();
  }

  /** Stops refilling; members stay for the next agent process. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    await this.pass?.catch(() => undefined);
  }

  /** Requests a maintenance pass (coalesced with one already running). */
  schedule(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = (async () => {
      do {
        this.again = false;
        try {
          await this.maintain();
        } catch (err) {
          this.log.warn({ err: String(err) }, 'pool.maintain_failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.pass = undefined));
  }

  /**
   * Refill a moment after a claim, not during it: starting a member's engine takes a core
   * for about a second, which would slow the claim and the new instance's first prompt.
   */
  private refillSoon(delayMs = this.opts.refillDelayMs ?? REFILL_DELAY_MS): void {
    if (this.refillTimer || this.stopped) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.schedule();
    }, delayMs);
  }

  /**
   * Docker reported a member dead or removed. It leaves the ready set at once, so no claim
   * gets it: the pass this schedules may still list it as running (the engine sends `die`
   * before it records the stop), and would otherwise keep it until the periodic pass. The
   * pass then finds it unknown and not answering, and removes and replaces it.
   */
  memberGone(containerId: string | undefined): void {
    if (containerId && this.ready.delete(containerId)) this.log.info({ containerId }, 'pool.member_gone');
    this.schedule();
  }

  /** Resolves when no pass is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }

  /**
   * Hands out one member, removed from the pool for good; waits for the one being started if
   * none is ready. Undefined when the pool is empty. The caller owns the container from here.
   */
  async take(): Promise<PoolMember | undefined> {
    let member = this.takeReady();
    if (!member && this.warming && !this.stopped) {
      await this.warming.catch(() => undefined);
      member = this.takeReady();
    }
    return member;
  }

  private takeReady(): PoolMember | undefined {
    const first = this.ready.values().next();
    if (first.done) return undefined;
    this.ready.delete(first.value.containerId);
    this.handedOut.add(first.value.containerId);
    this.refillSoon();
    return first.value;
  }

  private async maintain(): Promise<void> {
    const { docker, nodeId } = this.resources;
    const prefix = poolMemberPrefix(nodeId);
    let imageId: string | undefined;
    try {
      imageId = (await docker.getImage(this.resources.image).inspect()).Id;
    } catch (err) {
      if (!isDockerNotFound(err)) throw err;
      this.log.warn({ image: this.resources.image }, 'pool.image_missing');
    }
    const [containers, claims] = await Promise.all([
      docker.listContainers({ all: true, filters: this.resources.nodeFilter([POOL_LABEL.member]) }),
      listClaimRecords(docker, nodeId),
    ]);

    const present = new Set(containers.map((c) => c.Id));
    for (const id of this.handedOut) if (!present.has(id)) this.handedOut.delete(id);
    const mounted = new Set<string>();
    for (const c of containers) {
      for (const m of c.Mounts ?? []) if (m.Name) mounted.add(m.Name);
      // Claimed (or being claimed): an instance now, the provisioner's, never the pool's again.
      if (claims.has(c.Id) || this.handedOut.has(c.Id)) continue;
      const name = (c.Names[0] ?? '').replace(/^\//, '');
      const known = this.ready.has(c.Id);
      const stale = c.State !== 'running' || (imageId !== undefined && c.ImageID !== imageId) || !name.startsWith(prefix);
      if (stale) {
        // Not a pool name and no claim record: a claim whose record was lost; it was handed
        // out once, so it is removed rather than returned.
        if (known) this.ready.delete(c.Id);
        await this.remove(c.Id, name, 'stale');
        continue;
      }
      if (!known) {
        // Left by an earlier agent process: adopt it if its engine answers.
        const info = await docker.getContainer(c.Id).inspect().catch(() => undefined);
        const answers = info ? await engineAnswers(docker.getContainer(c.Id), info.State.Pid, 'auto', true).catch(() => false) : false;
        if (answers) {
          this.ready.set(c.Id, { containerId: c.Id, name, volume: poolVolumeName(name), daemonJson: await this.daemonJson(c.Id) });
          this.log.info({ container: name }, 'pool.member_adopted');
        } else {
          await this.remove(c.Id, name, 'not answering');
        }
      }
    }

    // Engine volumes of members whose container is gone (the agent stopped mid-creation).
    const volumes = await docker.listVolumes({ filters: this.resources.nodeFilter([POOL_LABEL.member]) });
    for (const v of volumes.Volumes ?? []) {
      if (!mounted.has(v.Name) && v.Name.startsWith(prefix)) await this.removeVolume(v.Name);
    }

    // Surplus: a smaller size, or instances grew into the pool's share of capacity.
    let instances = await this.runningInstances();
    for (const member of [...this.ready.values()]) {
      if (this.ready.size <= this.opts.size && instances + this.ready.size <= this.opts.capacity) break;
      if (!this.ready.delete(member.containerId)) continue;
      await this.remove(member.containerId, member.name, 'surplus');
    }

    if (!imageId) return;
    while (!this.stopped && this.ready.size < this.opts.size && instances + this.ready.size < this.opts.capacity) {
      this.warming = this.addMember();
      const member = await this.warming.finally(() => (this.warming = undefined));
      if (!member) {
        this.refillSoon(RETRY_DELAY_MS); // e.g. the engine ran out of network address pools
        return;
      }
      instances = await this.runningInstances();
    }
  }

  /** Running instances on the node, claimed members included. */
  private async runningInstances(): Promise<number> {
    return (await this.resources.listInstances()).filter((i) => i.running).length;
  }

  private async addMember(): Promise<PoolMember | undefined> {
    const { resources } = this;
    const suffix = randomBytes(4).toString('hex');
    const name = `${poolMemberPrefix(resources.nodeId)}${suffix}`;
    const volume = poolVolumeName(name);
    const hostname = `warm-${suffix}`;
    const labels = resources.labels({ [POOL_LABEL.member]: 'true' });
    const started = Date.now();
    try {
      await resources.ensureNetwork(this.network, labels);
      await resources.createVolume(volume, labels);
      await resources.limitVolume(volume);
      const container = await resources.createContainer({ name, hostname, labels, limits: MEMBER_LIMITS, network: this.network, volume });
      await container.start();
      await resources.waitUntilReady(container, hostname);
      if (this.stopped) return undefined; // adopted by the next agent process
      const member = { containerId: container.id, name, volume, daemonJson: await this.daemonJson(container.id) };
      this.ready.set(container.id, member);
      this.log.info({ container: name, ms: Date.now() - started, ready: this.ready.size }, 'pool.member_ready');
      return member;
    } catch (err) {
      this.log.warn({ container: name, err: String(err) }, 'pool.member_failed');
      await this.remove(name, name, 'failed');
      return undefined;
    }
  }

  private async daemonJson(containerId: string): Promise<string | undefined> {
    const result = await execCollect(this.resources.docker.getContainer(containerId), ['cat', '/etc/docker/daemon.json'], 5000).catch(() => undefined);
    return result?.exitCode === 0 ? result.stdout : undefined;
  }

  private async remove(idOrName: string, name: string, reason: string): Promise<void> {
    try {
      await this.resources.removeContainer(idOrName);
    } catch (err) {
      this.log.warn({ container: name, err: String(err) }, 'pool.remove_failed');
    }
    // (A renamed container's engine volume is swept on the next pass, once unmounted.)
    if (name.startsWith(poolMemberPrefix(this.resources.nodeId))) await this.removeVolume(poolVolumeName(name));
    this.log.info({ container: name, reason }, 'pool.member_removed');
  }

  private async removeVolume(name: string): Promise<void> {
    // Best effort: a volume left behind is swept on a later pass.
    await this.resources.removeVolume(name).catch((err: unknown) => this.log.warn({ volume: name, err: String(err) }, 'pool.volume_remove_failed'));
  }
}
