import { EVENT, JOB, PlaygroundError, jobId, type CloseSessionJob, type NodeView } from '@playground/contracts';
import type { AuditLog } from './audit.ts';
import type { Db } from './db.ts';
import type { Node } from './generated/prisma/client.ts';
import type { Logger } from './logger.ts';
import type { NodeQueues } from './node-queues.ts';
import { SLOT_INSTANCE_STATUSES } from './record-statuses.ts';
import { SESSION_LOST_MESSAGE } from './session-lost.ts';
import { CLOSE_JOB_OPTIONS } from './sessions.ts';
import type { TerminalExits } from './terminal-exits.ts';

// Nodes as the record sees them: ready → (operator) draining → (operator) ready; any → down
// when the node stops answering, which loses its live sessions; down → ready (or draining,
// if an operator drained it) when it answers again. Draining is the operator's choice and
// outlives heartbeats, restarts and a node's down time: the last drain/undrain in the audit
// history decides how a node that comes back returns.



export class Nodes {
  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
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

  /** The node takes no new sessions; its sessions go on to their end. Survives heartbeats and restarts. */
  async drain(id: string): Promise<NodeView> {
    const node = await this.require(id);
    if (node.status === 'ready') await this.db.node.updateMany({ where: { id, status: 'ready' }, data: { status: 'draining' } });
    // Recorded even for a down node: when it comes back, it comes back draining.
    await this.audit.record(EVENT.nodeDrained, { nodeId: id });
    return this.get(id);
  }

  async undrain(id: string): Promise<NodeView> {
    await this.require(id);
    await this.db.node.updateMany({ where: { id, status: 'draining' }, data: { status: 'ready' } });
    await this.audit.record(EVENT.nodeUndrained, { nodeId: id });
    return this.get(id);
  }

  /** What a node that answers returns as: draining if an operator drained it last, else ready. */
  async statusOnReturn(id: string, current: Node['status'] | undefined): Promise<'ready' | 'draining'> {
    if (current === 'draining') return 'draining';
    if (current === 'ready') return 'ready';
    const last = await this.db.auditEvent.findFirst({
      where: { nodeId: id, type: { in: [EVENT.nodeDrained, EVENT.nodeUndrained] } },
      orderBy: { id: 'desc' },
      select: { type: true },
    });
    return last?.type === EVENT.nodeDrained ? 'draining' : 'ready';
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
      for (const sessionId of sessionIds) {
        const data: CloseSessionJob = { sessionId };
        await this.queues.add(nodeId, JOB.closeSession, data, jobId.closeSession(sessionId), CLOSE_JOB_OPTIONS);
      }
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
    status: node.status,
    capacity: { instances: node.capacityInstances, memoryBytes: Number(node.capacityMemory) },
    usage: { instances: usage.instances, sessions: usage.sessions },
    lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
  };
}
