import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobId, NodeAnnouncement, nodeHeartbeatKey, nodeQueueName } from '@playground/contracts';

// What the benchmark learns from a node agent, read from the structured data the agent
// publishes for the orchestrator — its heartbeat announcement in Redis (wire contract
// NodeAnnouncement) and the BullMQ jobs on its queue — never from its log, whose wording
// may change without notice.

export class AgentState {
  private readonly redis: Redis;
  private readonly queue: Queue;

  constructor(
    redisUrl: string,
    private readonly nodeId: string,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue(nodeQueueName(nodeId), { connection: this.redis });
  }

  /** The agent's latest heartbeat, or null while it has none (or one that does not parse). */
  async announcement(): Promise<NodeAnnouncement | null> {
    const text = await this.redis.get(nodeHeartbeatKey(this.nodeId));
    if (!text) return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null; // not an announcement (the orchestrator treats it as a bare sign of life too)
    }
    const parsed = NodeAnnouncement.safeParse(json);
    return parsed.success ? parsed.data : null;
  }

  /** Polls the heartbeat until `accept` holds; throws after `timeoutMs` saying what was awaited. */
  async waitForAnnouncement(what: string, accept: (announcement: NodeAnnouncement) => boolean, timeoutMs: number): Promise<NodeAnnouncement> {
    const deadline = performance.now() + timeoutMs;
    let last: NodeAnnouncement | null = null;
    while (performance.now() < deadline) {
      last = await this.announcement();
      if (last && accept(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`node ${this.nodeId}: ${what} not seen within ${timeoutMs} ms (last heartbeat: ${JSON.stringify(last)})`);
  }

  /**
   * The agent's own time on an instance's create job: from when its worker took the job to when
   * it finished (BullMQ's processedOn/finishedOn). Null if the job is unknown or unfinished.
   */
  async createJobMs(instanceId: string): Promise<number | null> {
    const job = await this.queue.getJob(jobId.createInstance(instanceId));
    if (!job?.processedOn || !job.finishedOn) return null;
    return job.finishedOn - job.processedOn;
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit();
  }
}
