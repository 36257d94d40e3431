import type { Db } from './db.ts';

// Where a new session goes: a ready node whose heartbeat is fresh, with the most free
// instance slots; ties go to the node with fewer active sessions, then at random, so
// equal nodes share the load.

export interface NodeChoice {
  nodeId: string;
  freeInstances: number;
}

export class Placement {
  constructor(
    private readonly db: Db,
    private readonly nodeDownAfterMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  async pickNode(now = new Date()): Promise<NodeChoice | null> {
    const nodes = await this.db.node.findMany({
      where: { status: 'ready', lastSeenAt: { gte: new Date(now.getTime() - this.nodeDownAfterMs) } },
      select: {
        id: true,
        capacityInstances: true,
        _count: {
          select: {
            instances: { where: { status: { in: ['creating', 'running', 'deleting'] } } },
            sessions: { where: { status: 'active' } },
          },
        },
      },
    });
    const scored = nodes
      .map((node) => ({
        nodeId: node.id,
        freeInstances: node.capacityInstances - node._count.instances,
        sessions: node._count.sessions,
        tieBreak: this.random(),
      }))
      .filter((node) => node.freeInstances > 0)
      .sort((a, b) => b.freeInstances - a.freeInstances || a.sessions - b.sessions || a.tieBreak - b.tieBreak);
    const best = scored[0];
    return best ? { nodeId: best.nodeId, freeInstances: best.freeInstances } : null;
  }
}
