import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { nodeHeartbeatKey, type NodeAnnouncement } from '@playground/contracts';

// Every interval the agent writes its announcement to Redis with an expiry of three
// intervals. The orchestrator's node monitor (apps/orchestrator/src/reaper/node-monitor.ts)
// reads the key on each of its runs: a key it can read marks the node ready and seen now
// (and records what the node says about itself); a node is marked down only after
// NODE_DOWN_AFTER_MS without a key (counted from when it was last seen, or from when Redis
// came back), or when its Socket.IO link dropped and did not return within that time. The
// expiry only bounds how long the word of a stopped agent is believed; a gap of a few
// intervals does not take the node down.

export interface HeartbeatOptions {
  redis: Redis;
  nodeId: string;
  intervalMs: number;
  announcement: () => Promise<NodeAnnouncement>;
  logger: Logger;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HeartbeatOptions) {}

  /** Writes the announcement now (also between intervals, e.g. right after a reconcile). Never throws. */
  async beat(): Promise<void> {
    try {
      const announcement = await this.opts.announcement();
      await this.opts.redis.set(nodeHeartbeatKey(this.opts.nodeId), JSON.stringify(announcement), 'PX', this.opts.intervalMs * 3);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'node.heartbeat_failed');
    }
  }

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
