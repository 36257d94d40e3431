import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { nodeHeartbeatKey, type NodeAnnouncement } from '@playground/contracts';

// Every interval the agent writes its announcement to Redis with an expiry of three
// intervals: the scheduler sees a node as up exactly while the key exists.

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
