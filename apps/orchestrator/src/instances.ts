import {
  CpuAbuseReport,
  CreateInstanceResult,
  EVENT,
  InstanceId,
  JOB,
  PlaygroundError,
  jobId,
  newInstanceId,
  type CreateInstanceJob,
  type DeleteInstanceJob,
} from '@playground/contracts';
import type { AuditLog } from './audit.ts';
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { Instance } from './generated/prisma/client.ts';
import type { Histogram } from 'prom-client';
import { KeyedMutex } from './keyed-mutex.ts';
import { JobWaitTimeout, type EndedJob, type JobOutcome, type NodeQueues } from './node-queues.ts';
import { freeSlots, noCapacity } from './placement.ts';
import { LIVE_INSTANCE_STATUSES, SLOT_INSTANCE_STATUSES } from './record-statuses.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from './service-errors.ts';
import type { AgentLinks } from './gateway/agent-links.ts';
import { SESSION_LOST_MESSAGE } from './session-lost.ts';
import type { Sessions } from './sessions.ts';
import type { TerminalExits } from './terminal-exits.ts';

// Instance lifecycle: creating → running (create job completed) | failed; deleting → deleted.
// The row is written before the job is sent, so the reaper can settle any job whose
// waiting request went away (timeout, restart).

export const CREATE_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1_000 } } as const;
export const DELETE_JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 1_000 } } as const;

type InstanceConfig = Pick<
  Config,
  'MAX_INSTANCES_PER_SESSION' | 'INSTANCE_CPUS' | 'INSTANCE_MEMORY_MB' | 'INSTANCE_PIDS' | 'INSTANCE_CREATE_TIMEOUT_MS' | 'NODE_DOWN_AFTER_MS'
>;

export class Instances {
  private readonly serial = new KeyedMutex();

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly sessions: Sessions,
    private readonly audit: AuditLog,
    private readonly terminals: TerminalExits,
    private readonly links: Pick<AgentLinks, 'linkDroppedAt'>,
    private readonly config: InstanceConfig,
    /** How long learners wait for a new instance (the metric), by how the wait ended. */
    private readonly createLatency?: Pick<Histogram<'outcome'>, 'startTimer'>,
  ) {}

  /** Live (not deleted) instances of a session, oldest first. */
  listVisible(sessionId: string): Promise<Instance[]> {
    return this.db.instance.findMany({
      where: { sessionId, status: { not: 'deleted' } },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** `hostname`: the one the client asked for (PWD's `Hostname`); otherwise the next `nodeN`. */
  async create(sessionId: string, options: { hostname?: string } = {}): Promise<Instance> {
    const session = await this.sessions.requireActive(sessionId);
    const nodeId = session.nodeId;
    if (!nodeId) throw noCapacity('this session has no node.');
    // Fail fast, before anything is written, when the command could not reach the node.
    this.queues.assertConnected();
    if ((await this.links.linkDroppedAt(nodeId)) !== undefined) {
      throw new PlaygroundError(
        'unavailable',
        `The machine running this session is not responding right now. If it does not come back within ${Math.round(this.config.NODE_DOWN_AFTER_MS / 1000)} s, the session is lost.`,
        { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
      );
    }
    // Creates on one node queue here, holding no connection (see KeyedMutex); only the one in
    // front opens the short transaction that reserves the slot.
    const instance = await this.serial.run(`node-capacity:${nodeId}`, () => this.reserve(sessionId, nodeId, options.hostname));

    const stopTimer = this.createLatency?.startTimer();
    const ended = await this.waitForCreateJob(instance).catch((error: unknown) => {
      stopTimer?.({ outcome: error instanceof PlaygroundError ? error.code : 'error' });
      throw error;
    });
    stopTimer?.({ outcome: ended.state });
    const settled = await this.settleCreate(instance.id, ended);
    if (ended.state === 'failed') throw new PlaygroundError('instance_failed', `The instance could not be created: ${ended.failedReason}`);
    return settled ?? instance;
  }

  /** Sends the create command and waits for it to end, within INSTANCE_CREATE_TIMEOUT_MS. */
  private async waitForCreateJob(instance: Instance): Promise<EndedJob> {
    try {
      return await this.queues.addAndWait(
        instance.nodeId,
        JOB.createInstance,
        this.createJobFor(instance),
        jobId.createInstance(instance.id),
        CREATE_JOB_OPTIONS,
        this.config.INSTANCE_CREATE_TIMEOUT_MS,
      );
    } catch (error) {
      if (!(error instanceof JobWaitTimeout)) throw error;
      // The reaper settles it when the job ends after all (settle-creating-instances).
      throw new PlaygroundError(
        'timeout',
        `The instance did not start within ${Math.round(this.config.INSTANCE_CREATE_TIMEOUT_MS / 1000)} s. It may still appear; reload the session in a moment.`,
      );
    }
  }

  /**
   * The one place where a create job's outcome becomes the instance's fate: completed →
   * running, failed → failed; a job still pending changes nothing. The request that sent the
   * job calls it when the job ends; the reaper calls it for instances whose request went away
   * (timed out, or died with a previous process). Both writes are guarded by `creating`, so
   * whichever comes second changes nothing. Returns the row as it now stands.
   */
  async settleCreate(instanceId: string, outcome: JobOutcome): Promise<Instance | null> {
    if (outcome.state === 'completed') return this.markRunning(instanceId, outcome.returnvalue);
    if (outcome.state === 'failed') await this.markFailed(instanceId, outcome.failedReason);
    return this.db.instance.findUnique({ where: { id: instanceId } });
  }

  /**
   * The row of a new instance (`creating`), once the session's and the node's limits allow
   * it. Every statement runs on `tx`, the connection that holds the locks: waiting inside
   * for another pooled connection could wait forever when the pool is full.
   */
  private reserve(sessionId: string, nodeId: string, hostname: string | undefined): Promise<Instance> {
    const max = this.config.MAX_INSTANCES_PER_SESSION;
    const instanceMemoryBytes = this.config.INSTANCE_MEMORY_MB * 1024 * 1024;
    return this.db.$transaction(async (tx) => {
      // The session row lock makes "count, then add" safe against parallel requests.
      await tx.$queryRaw`SELECT id FROM "Session" WHERE id = ${sessionId} FOR UPDATE`;
      const current = await tx.session.findUniqueOrThrow({ where: { id: sessionId }, select: { status: true } });
      if (current.status === 'lost') throw new PlaygroundError('session_lost', SESSION_LOST_MESSAGE);
      if (current.status !== 'active') throw new PlaygroundError('session_ended', 'This session has ended.');
      const live = await tx.instance.count({ where: { sessionId, status: { in: [...LIVE_INSTANCE_STATUSES] } } });
      if (live >= max) {
        throw new PlaygroundError(
          'instance_limit',
          `This session already has ${live} instances, the most allowed. Delete one to add another.`,
        );
      }
      // The node's own room, counted under a per-node lock so parallel sessions cannot overfill it.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`node-capacity:${nodeId}`}))`;
      const node = await tx.node.findUniqueOrThrow({ where: { id: nodeId } });
      const onNode = await tx.instance.count({ where: { nodeId, status: { in: [...SLOT_INSTANCE_STATUSES] } } });
      if (freeSlots(node, onNode, instanceMemoryBytes) <= 0) {
        throw noCapacity(`the machine running this session is full right now (${onNode} instances). Please try again in a minute.`);
      }
      // Names are never reused within a session, not even a deleted instance's: its
      // terminals, port URLs and audit trail keep meaning the instance that had it.
      const taken = new Set(
        (await tx.instance.findMany({ where: { sessionId }, select: { hostname: true } })).map((row) => row.hostname),
      );
      if (hostname && taken.has(hostname)) {
        throw new PlaygroundError('hostname_taken', `This session already has or had an instance named ${hostname}; choose another name.`);
      }
      // Numbered names skip any a client chose itself (a PWD page asks for node1, node2, …).
      let ordinal: number;
      do {
        ({ nextOrdinal: ordinal } = await tx.session.update({
          where: { id: sessionId },
          data: { nextOrdinal: { increment: 1 } },
          select: { nextOrdinal: true },
        }));
      } while (!hostname && taken.has(`node${ordinal - 1}`));
      return tx.instance.create({
        data: { id: newInstanceId(), sessionId, nodeId, hostname: hostname ?? `node${ordinal - 1}`, status: 'creating' },
      });
    });
  }

  /** The create command for a recorded instance: everything the node needs is in the row. */
  createJobFor(instance: Pick<Instance, 'id' | 'sessionId' | 'hostname'>): CreateInstanceJob {
    return {
      sessionId: instance.sessionId,
      instanceId: instance.id,
      hostname: instance.hostname,
      limits: {
        cpus: this.config.INSTANCE_CPUS,
        memoryBytes: this.config.INSTANCE_MEMORY_MB * 1024 * 1024,
        pids: this.config.INSTANCE_PIDS,
      },
    };
  }

  /**
   * Sends the create command again for an instance whose command never reached the queue
   * (the orchestrator died between recording it and adding the job). Same job id: if the
   * first add did land after all, this is a no-op.
   */
  async resendCreateJob(instance: Pick<Instance, 'id' | 'sessionId' | 'hostname' | 'nodeId'>): Promise<void> {
    await this.queues.add(
      instance.nodeId,
      JOB.createInstance,
      this.createJobFor(instance),
      jobId.createInstance(instance.id),
      CREATE_JOB_OPTIONS,
    );
  }

  /** creating → running with the agent's result; the row as it now stands (it may have moved on meanwhile). */
  private async markRunning(instanceId: string, rawResult: unknown): Promise<Instance | null> {
    const result = CreateInstanceResult.safeParse(rawResult);
    if (!result.success) {
      await this.markFailed(instanceId, 'the node returned an unreadable result');
      throw new PlaygroundError('instance_failed', 'The node returned an unreadable result for the new instance.');
    }
    const changed = await this.db.instance.updateMany({
      where: { id: instanceId, status: 'creating' },
      data: { status: 'running', ip: result.data.ip, containerId: result.data.containerId },
    });
    const instance = await this.db.instance.findUnique({ where: { id: instanceId } });
    if (changed.count > 0 && instance) {
      await this.audit.record(EVENT.instanceCreated, {
        sessionId: instance.sessionId,
        instanceId,
        nodeId: instance.nodeId,
        data: { hostname: instance.hostname, ip: instance.ip },
      });
    }
    return instance;
  }

  async markFailed(instanceId: string, reason: string): Promise<void> {
    const changed = await this.db.instance.updateMany({
      where: { id: instanceId, status: 'creating' },
      data: { status: 'failed', error: reason },
    });
    if (changed.count > 0) await this.audit.record(EVENT.instanceFailed, { instanceId, data: { reason } });
  }

  async delete(sessionId: string, instanceId: string): Promise<void> {
    await this.sessions.requireActive(sessionId);
    const instance = InstanceId.safeParse(instanceId).success
      ? await this.db.instance.findFirst({ where: { id: instanceId, sessionId, status: { not: 'deleted' } } })
      : null;
    if (!instance) throw new PlaygroundError('not_found', 'No such instance in this session.');
    if (instance.status !== 'deleting') {
      await this.db.instance.update({ where: { id: instanceId }, data: { status: 'deleting' } });
    }
    this.terminals.exitInstance(instanceId, 'The instance was deleted.');
    try {
      await this.sendDeleteJob(instance);
    } catch (error) {
      // Recorded as deleting in Postgres: the reaper sends the job once Redis is back.
      if (!(error instanceof PlaygroundError && error.code === 'unavailable')) throw error;
    }
  }

  async sendDeleteJob(instance: Pick<Instance, 'id' | 'sessionId' | 'nodeId'>): Promise<void> {
    const data: DeleteInstanceJob = { sessionId: instance.sessionId, instanceId: instance.id };
    await this.queues.add(instance.nodeId, JOB.deleteInstance, data, jobId.deleteInstance(instance.id), DELETE_JOB_OPTIONS);
  }

  async finishDelete(instance: Pick<Instance, 'id' | 'sessionId' | 'nodeId'>): Promise<void> {
    const changed = await this.db.instance.updateMany({
      where: { id: instance.id, status: 'deleting' },
      data: { status: 'deleted', deletedAt: new Date() },
    });
    if (changed.count > 0) {
      await this.audit.record(EVENT.instanceDeleted, {
        sessionId: instance.sessionId,
        instanceId: instance.id,
        nodeId: instance.nodeId,
      });
    }
  }

  // What a node reports about its instances (checked by gateway/agent-reports.ts). Every
  // write is scoped to the reporting node: an agent can only describe its own instances.

  /** The ports the instance's containers publish now (sorted, unique). */
  async recordPorts(nodeId: string, instanceId: string, ports: number[]): Promise<void> {
    await this.db.instance.updateMany({ where: { id: instanceId, nodeId }, data: { ports } });
  }

  /**
   * The agent saw an instance's container stop or vanish. Only a `running` instance becomes
   * `lost`. A `creating` one is left alone: its create job decides its fate (settleCreate),
   * and an agent reconciling before it made the container (e.g. right after its start)
   * would otherwise kill every new instance.
   */
  async recordGone(nodeId: string, instanceId: string, reason: string): Promise<void> {
    const changed = await this.db.instance.updateMany({
      where: { id: instanceId, nodeId, status: 'running' },
      data: { status: 'lost', error: reason.slice(0, 500) },
    });
    if (changed.count === 0) {
      const row = await this.db.instance.findFirst({ where: { id: instanceId, nodeId }, select: { status: true } });
      if (row?.status === 'creating') return;
    }
    this.terminals.exitInstance(instanceId, goneText(reason));
    if (changed.count > 0) await this.audit.record(EVENT.instanceGone, { instanceId, nodeId, data: { reason } });
  }

  /**
   * A running instance burns its full CPU quota: the warning is kept in the record (the
   * instance's `error`, which for a running instance is what the learner is warned of) for the
   * page, and written into its open terminals. A null report withdraws it.
   */
  async recordCpuWarning(nodeId: string, instanceId: string, report: CpuAbuseReport | null): Promise<void> {
    const changed = await this.db.instance.updateMany({
      where: { id: instanceId, nodeId, status: 'running' },
      data: { error: report?.message ?? null },
    });
    if (changed.count === 0 || !report) return;
    this.terminals.noticeInstance(instanceId, report.message);
    const row = await this.db.instance.findUnique({ where: { id: instanceId }, select: { sessionId: true } });
    await this.audit.record(EVENT.instanceCpuWarning, { instanceId, sessionId: row?.sessionId, nodeId, data: { ...report } });
  }

  /**
   * The agent stopped an instance for abuse and is removing it. It ends like a crashed one
   * (`lost`, its slot free) but with the agent's reason, which the page and terminals show and
   * the audit log keeps with the figures. A `creating` or already ended instance keeps its fate.
   */
  async recordStopped(nodeId: string, instanceId: string, report: CpuAbuseReport): Promise<void> {
    const changed = await this.db.instance.updateMany({
      where: { id: instanceId, nodeId, status: 'running' },
      data: { status: 'lost', error: report.message },
    });
    this.terminals.exitInstance(instanceId, report.message);
    if (changed.count === 0) return;
    const row = await this.db.instance.findUnique({ where: { id: instanceId }, select: { sessionId: true } });
    await this.audit.record(EVENT.instanceStoppedAbuse, { instanceId, sessionId: row?.sessionId, nodeId, data: { ...report } });
  }
}

/** What a learner's terminal says when its instance died on its own (crash, OOM kill, removed on the host). */
function goneText(reason: string): string {
  const text = reason.trim() || 'the instance stopped';
  return `${text[0]!.toUpperCase()}${text.slice(1)}${/[.!]$/.test(text) ? '' : '.'}`;
}
