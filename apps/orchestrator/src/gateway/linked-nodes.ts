import type { AgentLinks } from './agent-links.ts';
import type { LinkRegistry } from './link-registry.ts';
import type { ReplicaStreams } from './replica-streams.ts';

// Which nodes' agents have a live link to some orchestrator replica right now: the link that
// carries a new instance's terminals and ports, and without which a create after a dropped
// link is refused. A heartbeat alone does not say it (heartbeats go to Redis, not over the
// link), so the health answer reports both and `npm start` waits for both before "ready".
//
// The registry names the replica that wrote each link. That entry outlives a replica that was
// killed, or closed without dropping its links (a deliberate shutdown is not the node's fault,
// see agent-links.ts), so an entry counts only while its replica still runs.

export class LinkedNodes {
  constructor(
    private readonly registry: Pick<LinkRegistry, 'holders'>,
    private readonly replicaId: string,
    private readonly agents: Pick<AgentLinks, 'socketFor'>,
    private readonly replicas: Pick<ReplicaStreams, 'isListening'>,
  ) {}

  /** The ids of the nodes whose agent link a running replica holds. Rejects while Redis is away. */
  async linked(): Promise<Set<string>> {
    const holders = await this.registry.holders();
    // One question per replica, however many nodes it holds.
    const running = new Map<string, Promise<boolean>>();
    const linked = new Set<string>();
    for (const [nodeId, replica] of holders) {
      if (replica === this.replicaId) {
        // This replica's own entry is exact only while the socket is here.
        if (this.agents.socketFor(nodeId)) linked.add(nodeId);
        continue;
      }
      if (!running.has(replica)) running.set(replica, this.replicas.isListening(replica));
      if (await running.get(replica)) linked.add(nodeId);
    }
    return linked;
  }
}
