import { EVENT, NodeAnnouncement, nodeHeartbeatKey } from '@playground/contracts';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { ReaperTask } from './task.ts';

// Node liveness follows the heartbeat keys agents refresh in Redis (they expire when an
// agent stops): a fresh key → ready and lastSeenAt = now; none for NODE_DOWN_AFTER_MS → down.

export class NodeMonitor implements ReaperTask {
  readonly name = 'node-monitor';

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly audit: AuditLog,
    private readonly downAfterMs: number,
  ) {}

  async run(now: Date): Promise<void> {
    const nodes = await this.db.node.findMany({ select: { id: true, status: true, lastSeenAt: true } });
    const known = new Set(nodes.map((n) => n.id));
    const ids = [...known, ...(await this.scanHeartbeatNodes()).filter((id) => !known.has(id))];
    if (ids.length === 0) return;
    const beats = await this.redis.mget(ids.map(nodeHeartbeatKey));
    for (const [index, id] of ids.entries()) {
      const node = nodes.find((n) => n.id === id);
      const beat = beats[index];
      const announcement = beat ? parseAnnouncement(beat) : null;
      if (announcement && announcement.nodeId === id) {
        const fields = {
          name: announcement.name,
          engineVersion: announcement.engineVersion,
          capacityInstances: announcement.capacity.instances,
          capacityMemory: BigInt(announcement.capacity.memoryBytes),
          lastSeenAt: now,
        };
        // `draining` is an operator's choice; a heartbeat does not undo it.
        const status = node?.status === 'draining' ? 'draining' : 'ready';
        await this.db.node.upsert({ where: { id }, create: { id, ...fields, status }, update: { ...fields, status } });
        if (node?.status !== status && status === 'ready') await this.audit.record(EVENT.nodeUp, { nodeId: id });
      } else if (beat && node && node.status !== 'down') {
        // A key we cannot read still proves the agent is alive.
        await this.db.node.update({ where: { id }, data: { lastSeenAt: now } });
      } else if (node && node.status !== 'down') {
        const silentFor = now.getTime() - (node.lastSeenAt?.getTime() ?? 0);
        if (silentFor >= this.downAfterMs) {
          await this.db.node.update({ where: { id }, data: { status: 'down' } });
          await this.audit.record(EVENT.nodeDown, { nodeId: id, data: { silentForMs: silentFor } });
        }
      }
    }
  }

  private async scanHeartbeatNodes(): Promise<string[]> {
    const pattern = nodeHeartbeatKey('*');
    const [prefix, suffix] = pattern.split('*') as [string, string];
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) found.push(key.slice(prefix.length, key.length - suffix.length));
    } while (cursor !== '0');
    return found;
  }
}

function parseAnnouncement(text: string): NodeAnnouncement | null {
  try {
    const parsed = NodeAnnouncement.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
