import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

// Which replica holds each node's agent link, and since when a node's link is down, shared by
// every orchestrator replica through Redis. The node monitor runs on one replica at a time
// (reaper/reaper.ts) but must see a drop that another replica saw; a new instance is refused on
// any replica while its node's link is down. A drop is written only by the replica whose link
// it was, in one script with the check, so a late drop on one replica never hides the agent's
// new link on another.

const DROP_IF_MINE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return 0`;

export class LinkRegistry {
  private readonly holdersKey: string;
  private readonly droppedKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** This replica: a holder is written as `<replicaId>/<socket id>`, so an operator can see where each link is. */
    private readonly replicaId: string,
    private readonly logger: Logger,
  ) {
    this.holdersKey = `${prefix}:agent-links:holders`;
    this.droppedKey = `${prefix}:agent-links:dropped`;
  }

  /** The node's agent linked (`linkId`: this replica's socket id): it is not down any more. */
  async linked(nodeId: string, linkId: string): Promise<void> {
    await this.write('linked', nodeId, () => this.redis.multi().hset(this.holdersKey, nodeId, this.holder(linkId)).hdel(this.droppedKey, nodeId).exec());
  }

  /** The link `linkId` of the node dropped at `at` (ms epoch), unless the node has linked elsewhere since. */
  async dropped(nodeId: string, linkId: string, at: number): Promise<void> {
    await this.write('dropped', nodeId, () => this.redis.eval(DROP_IF_MINE, 2, this.holdersKey, this.droppedKey, nodeId, this.holder(linkId), String(at)));
  }

  /** Since when (ms epoch) the node's link is down, if a replica saw it drop and no replica has it back. */
  async droppedAt(nodeId: string): Promise<number | undefined> {
    const value = await this.redis.hget(this.droppedKey, nodeId);
    return value === null ? undefined : Number(value);
  }

  /** The replica that holds the node's agent link now, if any does. */
  async holderOf(nodeId: string): Promise<string | undefined> {
    const value = await this.redis.hget(this.holdersKey, nodeId);
    return value === null ? undefined : value.slice(0, value.indexOf('/'));
  }

  /** Every node some replica wrote as holding its link, with that replica (which may have died since). */
  async holders(): Promise<Map<string, string>> {
    const entries = await this.redis.hgetall(this.holdersKey);
    return new Map(Object.entries(entries).map(([nodeId, value]) => [nodeId, value.slice(0, value.indexOf('/'))]));
  }

  private holder(linkId: string): string {
    return `${this.replicaId}/${linkId}`;
  }

  private async write(what: string, nodeId: string, command: () => Promise<unknown>): Promise<void> {
    try {
      await command();
    } catch (error) {
      // Redis down: the node monitor gives no verdicts then either; the next link change rewrites it.
      this.logger.warn({ err: error, nodeId, what }, 'agent.link_registry_failed');
    }
  }
}
