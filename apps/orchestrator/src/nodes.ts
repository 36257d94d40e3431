import { EVENT, PlaygroundError, jobId, type NodeAnnouncement, type NodeStatus, type NodeView } from '@playground/contracts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db.ts';
import type { Node } from './generated/prisma/client.ts';
import type { Logger } from './logger.ts';
import type { NodeQueues } from './node-queues.ts';
import { SLOT_INSTANCE_STATUSES } from './record-statuses.ts';
import { SESSION_LOST_MESSAGE } from './session-lost.ts';
import type { Sessions } from './sessions.ts';
import type { TerminalExits } from './terminal-exits.ts';

// Nodes as the record sees them, and the only writer of Node rows. `status` says whether the
// node answers: ready while its agent's heartbeats and link are fresh, down when they stop
// (which loses its live sessions), ready again when it answers. `drained` is the operator's
// choice and independent of it: a drained node takes no new sessions (its own go on to their
// end) until undrained, through heartbeats, restarts and down time alike.

export class Nodes {
  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly sessions: Sessions,
    private readonly audit: AuditLog,
    private readonly terminals: TerminalExits,
    private readonly logger: Logger,
  ) {}

  async list(): Promise<NodeView[]> {
    const nodes = await this.db.node.findMany({
      orderBy: { id: 'asc' },
      include: {
        _count: {
          select: {
            instances: { where: { status: { in: [...SLOT_INSTANCE_STATUSES] } } },
            sessions: { where: { status: 'active' } },
          },
        },
      },
    });
    return nodes.map((node) => nodeView(node, node._count));
  }

  async get(id: string): Promise<NodeView> {
    const views = await this.list();
    const view = views.find((node) => node.id === id);
    if (!view) throw new PlaygroundError('not_found', 'No such node.');
    return view;
  }

  /** The node takes no new sessions; its sessions go on to their end. Kept until undrained, whatever the node does. */
  async drain(id: string): Promise<NodeView> {
    await this.require(id);
    await this.db.node.update({ where: { id }, data: { drained: true } });
    await this.audit.record(EVENT.nodeDrained, { nodeId: id });
    return this.get(id);
  }

  async undrain(id: string): Promise<NodeView> {
    await this.require(id);
    await this.db.node.update({ where: { id }, data: { drained: false } });
    await this.audit.record(EVENT.nodeUndrained, { nodeId: id });
    return this.get(id);
  }

  /**
   * The node answered with its announcement (its agent connected, or its heartbeat key was
   * read): what it says about itself is recorded and it is ready; a node not known yet is
   * added. `drained` is left as the operator set it.
   */
  async recordAnswer(announcement: NodeAnnouncement, seenAt: Date): Promise<void> {
    const id = announcement.nodeId;
    const before = await this.db.node.findUnique({ where: { id }, select: { status: true } });
    const fields = {
      name: announcement.name,
      engineVersion: announcement.engineVersion,
      capacityInstances: announcement.capacity.instances,
      capacityMemory: BigInt(announcement.capacity.memoryBytes),
      status: 'ready' as const,
      lastSeenAt: seenAt,
    };
    await this.db.node.upsert({ where: { id }, create: { id, ...fields }, update: fields });
    if (before?.status !== 'ready') await this.audit.record(EVENT.nodeUp, { nodeId: id, data: { name: announcement.name } });
  }

  /** The node proved it is alive without saying more (a heartbeat that could not be read). */
  async recordSeen(id: string, seenAt: Date): Promise<void> {
    await this.db.node.updateMany({ where: { id, status: { not: 'down' } }, data: { lastSeenAt: seenAt } });
  }

  /**
   * The node stopped answering: mark it down and lose its live sessions (their instances are
   * gone with the node). Idempotent; returns the lost session ids.
   */
  async markDown(id: string, why: Record<string, unknown>): Promise<string[]> {
    const lost = await this.db.$transaction(async (tx) => {
      const changed = await tx.node.updateMany({ where: { id, status: { not: 'down' } }, data: { status: 'down' } });
      if (changed.count === 0) return null;
      const sessions = await tx.session.findMany({ where: { nodeId: id, status: 'active' }, select: { id: true } });
      const ids = sessions.map((s) => s.id);
      const now = new Date();
      await tx.session.updateMany({ where: { id: { in: ids } }, data: { status: 'lost', endReason: 'node_lost', endedAt: now } });
      await tx.instance.updateMany({
        where: { sessionId: { in: ids }, status: { in: [...SLOT_INSTANCE_STATUSES] } },
        data: { status: 'lost', error: 'its node stopped responding' },
      });
      return ids;
    });
    if (lost === null) return [];
    await this.audit.record(EVENT.nodeDown, { nodeId: id, data: { ...why, lostSessions: lost.length } });
    this.queues.failWaits(id, new PlaygroundError('session_lost', SESSION_LOST_MESSAGE));
    for (const sessionId of lost) {
      this.terminals.exitSession(sessionId, SESSION_LOST_MESSAGE);
      await this.audit.record(EVENT.sessionLost, { sessionId, nodeId: id });
    }
    await this.clearQueue(id, lost);
    return lost;
  }

  /**
   * Create jobs of lost sessions must not run when the node returns, and whatever they left
   * must go: waiting creates are removed and a close job per lost session is queued. (The
   * agent's reconcile removes the same leftovers, since node.live leaves lost sessions out;
   * the close job covers a create that was running while the node went away.)
   */
  private async clearQueue(nodeId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      const instances = await this.db.instance.findMany({ where: { sessionId: { in: sessionIds } }, select: { id: true } });
      for (const instance of instances) await this.queues.removeIfIdle(nodeId, jobId.createInstance(instance.id));
      for (const sessionId of sessionIds) await this.sessions.sendCloseJob({ id: sessionId, nodeId });
    } catch (error) {
      // Reconcile on the node's return removes the leftovers anyway.
      this.logger.warn({ err: (error as Error).message, nodeId }, 'node.clear_queue_failed');
    }
  }

  private async require(id: string): Promise<Node> {
    const node = await this.db.node.findUnique({ where: { id } });
    if (!node) throw new PlaygroundError('not_found', 'No such node.');
    return node;
  }
}

export function nodeView(node: Node, usage: { instances: number; sessions: number }): NodeView {
  return {
    id: node.id,
    name: node.name,
    status: nodeStatus(node),
    drained: node.drained,
    capacity: { instances: node.capacityInstances, memoryBytes: Number(node.capacityMemory) },
    usage: { instances: usage.instances, sessions: usage.sessions },
    lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
  };
}

/** The status operators see: whether it answers, and if it does, whether it was drained. */
export function nodeStatus(node: Pick<Node, 'status' | 'drained'>): NodeStatus {
  if (node.status === 'down') return 'down';
  return node.drained ? 'draining' : 'ready';
}
