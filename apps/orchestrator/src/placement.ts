import { PlaygroundError } from '@playground/contracts';
import type { Db, DbClient } from './db.ts';
import { SLOT_INSTANCE_STATUSES } from './record-statuses.ts';

// Where a new session goes: a ready, undrained node whose heartbeat is fresh, with the most free room.
// Room is counted in instance slots and in memory (free memory ÷ one instance's memory),
// whichever is tighter; ties go to the node with fewer active sessions, then at random,
// so equal nodes share the load. A node that reports no memory (0) is limited by slots only.

/** Seconds a client should wait before asking again when no node (or not its session's node) has room. */
const NO_CAPACITY_RETRY_AFTER_SECONDS = 30;

/** 503 `no_capacity`: `message` says whose room ran out; it starts "No capacity" (the page and the docs rely on it). */
export function noCapacity(message: string): PlaygroundError {
  return new PlaygroundError('no_capacity', `No capacity: ${message}`, { retryAfterSeconds: NO_CAPACITY_RETRY_AFTER_SECONDS });
}

export interface NodeChoice {
  nodeId: string;
  freeInstances: number;
}

/** Instances a node can still take, by slots and by memory. */
export function freeSlots(
  node: { capacityInstances: number; capacityMemory: bigint },
  liveInstances: number,
  instanceMemoryBytes: number,
): number {
  const bySlots = node.capacityInstances - liveInstances;
  if (instanceMemoryBytes <= 0 || node.capacityMemory <= 0n) return bySlots;
  const byMemory = Math.floor(Number(node.capacityMemory) / instanceMemoryBytes) - liveInstances;
  return Math.min(bySlots, byMemory);
}

export class Placement {
  constructor(
    private readonly db: Db,
    private readonly nodeDownAfterMs: number,
    private readonly random: () => number = Math.random,
    /** Memory one instance is given (its limit); 0 leaves memory out of the count. */
    private readonly instanceMemoryBytes = 0,
  ) {}

  /**
   * Inside a transaction, pass its client: a transaction that holds a lock must never wait
   * for a second pooled connection (with the pool full of waiters for that lock, it would
   * never get one).
   */
  async pickNode(now = new Date(), client: DbClient = this.db): Promise<NodeChoice | null> {
    const scored = (await this.room(now, client))
      .map((node) => ({ ...node, tieBreak: this.random() }))
      .filter((node) => node.freeInstances > 0)
      .sort((a, b) => b.freeInstances - a.freeInstances || a.sessions - b.sessions || a.tieBreak - b.tieBreak);
    const best = scored[0];
    return best ? { nodeId: best.nodeId, freeInstances: best.freeInstances } : null;
  }

  /**
   * Where `seats` sessions of `perSeat` instances each would go now, spread like single
   * sessions (each to the node with the most room left): one node id per seat that fits.
   * Fewer than `seats` ids means the cluster cannot hold them all.
   */
  async planSeats(seats: number, perSeat: number, now = new Date()): Promise<string[]> {
    const nodes = (await this.room(now, this.db)).map((node) => ({ ...node, tieBreak: this.random() }));
    const plan: string[] = [];
    while (plan.length < seats) {
      nodes.sort((a, b) => b.freeInstances - a.freeInstances || a.sessions - b.sessions || a.tieBreak - b.tieBreak);
      const best = nodes[0];
      if (!best || best.freeInstances < perSeat) break;
      plan.push(best.nodeId);
      best.freeInstances -= perSeat;
      best.sessions += 1;
    }
    return plan;
  }

  /** Free instance slots and active sessions of every node that may take new sessions. */
  private async room(now: Date, client: DbClient): Promise<Array<{ nodeId: string; freeInstances: number; sessions: number }>> {
    const nodes = await client.node.findMany({
      where: { status: 'ready', drained: false, lastSeenAt: { gte: new Date(now.getTime() - this.nodeDownAfterMs) } },
      select: {
        id: true,
        capacityInstances: true,
        capacityMemory: true,
        _count: {
          select: {
            instances: { where: { status: { in: [...SLOT_INSTANCE_STATUSES] } } },
            sessions: { where: { status: 'active' } },
          },
        },
      },
    });
    return nodes.map((node) => ({
      nodeId: node.id,
      freeInstances: freeSlots(node, node._count.instances, this.instanceMemoryBytes),
      sessions: node._count.sessions,
    }));
  }
}
