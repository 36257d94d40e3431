import { NodeAnnouncement, nodeHeartbeatKey } from '@playground/contracts';
import type { Redis } from 'ioredis';
import type { Db } from '../db.ts';
import type { AgentLinks } from '../gateway/agent-links.ts';
import type { Nodes } from '../nodes.ts';
import type { ReaperTask } from './task.ts';

// Node liveness follows the heartbeat keys agents refresh in Redis (they expire when an
// agent stops) and the agent's Socket.IO link: a fresh key → up, lastSeenAt = now; no key
// for NODE_DOWN_AFTER_MS, or a link any replica saw drop and not return within
// NODE_DOWN_AFTER_MS → down, and its live sessions are lost (Nodes.markDown). What a node says
// about itself is recorded by Nodes.recordAnswer, the same as when its agent connects.

export class NodeMonitor implements ReaperTask {
  readonly name = 'node-monitor';
  /** Since when Redis answers this process; heartbeat silence before that is not the node's. */
  private redisUpSince: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly nodes: Nodes,
    private readonly links: Pick<AgentLinks, 'linkDroppedAt'>,
    private readonly downAfterMs: number,
  ) {}

  async run(now: Date): Promise<void> {
    // No verdicts without Redis: its outage is not every node's death.
    if (this.redis.status !== 'ready') {
      this.redisUpSince = undefined;
      return;
    }
    this.redisUpSince ??= now.getTime();
    const nodes = await this.db.node.findMany({ select: { id: true, status: true, lastSeenAt: true } });
    const known = new Set(nodes.map((n) => n.id));
    const ids = [...known, ...(await this.scanHeartbeatNodes()).filter((id) => !known.has(id))];
    if (ids.length === 0) return;
    const beats = await this.redis.mget(ids.map(nodeHeartbeatKey));
    // When the beats were read, not when the sweep began: a slow sweep must not age them.
    const readAt = new Date();
    for (const [index, id] of ids.entries()) {
      const node = nodes.find((n) => n.id === id);
      const beat = beats[index];
      const dropped = await this.links.linkDroppedAt(id);
      const linkLost = dropped !== undefined && now.getTime() - dropped >= this.downAfterMs;
      if (linkLost) {
        if (node && node.status !== 'down') {
          await this.nodes.markDown(id, { reason: 'agent_link_lost', silentForMs: now.getTime() - dropped });
        }
        continue;
      }
      const announcement = beat ? parseAnnouncement(beat) : null;
      if (announcement && announcement.nodeId === id) {
        await this.nodes.recordAnswer(announcement, readAt);
      } else if (beat && node && node.status !== 'down') {
        // A key we cannot read still proves the agent is alive.
        await this.nodes.recordSeen(id, readAt);
      } else if (node && node.status !== 'down') {
        // Agents re-write their key within an interval of Redis (or this process) coming back.
        const silentFor = now.getTime() - Math.max(node.lastSeenAt?.getTime() ?? 0, this.redisUpSince);
        if (silentFor >= this.downAfterMs) await this.nodes.markDown(id, { reason: 'heartbeat_timeout', silentForMs: silentFor });
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
