import { randomBytes } from 'node:crypto';
import {
  LinkStreams,
  openStream,
  StreamOpenError,
  type InstanceArchive,
  type LinkStream,
  type StreamCarrier,
  type StreamOpenRequest,
} from '@playground/contracts/link-streams';
import type { Logger } from '../logger.ts';
import type { AgentListener, AgentSocket } from './agent-links.ts';
import type { LinkRegistry } from './link-registry.ts';
import type { ReplicaStreams } from './replica-streams.ts';

// Byte streams to ports of instances, carried by each node agent's own link
// (contracts/link-streams.ts): the agent connects to the port on its host, so this process
// needs no route to any node's instance network. `open` is the one way in, from any replica:
// a link this replica holds is used directly (no extra hop); a link another replica holds is
// reached through that replica (replica-streams.ts), which the link registry names.

/** What a stream is for: a port of an instance on a node. */
export interface StreamTarget {
  nodeId: string;
  instanceId: string;
  port: number;
  /** How long the node may take to connect to the port. */
  connectTimeoutMs: number;
}

/** How this replica reaches links other replicas hold; without it, only local links serve. */
export interface OtherReplicas {
  replicaId: string;
  registry: Pick<LinkRegistry, 'holderOf'>;
  relay: Pick<ReplicaStreams, 'open' | 'nodeUnlinkedHere'>;
}

export class NodeStreams implements AgentListener {
  private readonly links = new Map<string, LinkStreams>();

  constructor(
    private readonly logger: Logger,
    private readonly others?: OtherReplicas,
  ) {}

  agentConnected(nodeId: string, socket: AgentSocket): void {
    // Any previous link of the node was dropped first (agentDisconnected), so this replaces nothing live.
    this.links.set(nodeId, new LinkStreams(socket as unknown as StreamCarrier));
  }

  agentDisconnected(nodeId: string): void {
    const streams = this.links.get(nodeId);
    if (!streams) return;
    this.links.delete(nodeId);
    if (streams.size) this.logger.info({ nodeId, streams: streams.size }, 'node_streams.link_lost');
    streams.closeAll("the node's agent link was lost");
    streams.detach();
    this.others?.relay.nodeUnlinkedHere(nodeId);
  }

  /**
   * A two-way byte stream to `target`, once its node has connected it. Rejects with a
   * StreamOpenError: `not_connected` (no link to that node here), `connect_timeout`,
   * `refused`, `not_found`, `port_forbidden`, `too_many_streams`.
   */
  async open(target: StreamTarget): Promise<LinkStream> {
    return this.route(target.nodeId, { streamId: newStreamId(), instanceId: target.instanceId, port: target.port, connectTimeoutMs: target.connectTimeoutMs });
  }

  /** A stream on the node's link held by this replica (also what another replica's stream is carried on). */
  openHere(nodeId: string, request: StreamOpenRequest): Promise<LinkStream> {
    const streams = this.links.get(nodeId);
    if (!streams) return Promise.reject(new StreamOpenError('not_connected', 'the node running this instance is not connected right now'));
    return openStream(streams, request);
  }

  /**
   * A stream of an archive the node makes of one of its instances ("Download my work"): it
   * carries the archive's bytes and ends. Rejects like `open` (`not_found` names missing images).
   */
  async openArchive(nodeId: string, instanceId: string, archive: InstanceArchive, startTimeoutMs: number): Promise<LinkStream> {
    return this.route(nodeId, { streamId: newStreamId(), instanceId, archive, connectTimeoutMs: startTimeoutMs });
  }

  /** On this replica's link to the node when it holds it, else through the replica that does. */
  private async route(nodeId: string, request: StreamOpenRequest): Promise<LinkStream> {
    if (this.links.has(nodeId) || !this.others) return this.openHere(nodeId, request);
    const holder = await this.others.registry.holderOf(nodeId).catch(() => undefined);
    if (!holder || holder === this.others.replicaId) return this.openHere(nodeId, request);
    return this.others.relay.open(holder, nodeId, request);
  }

  /** Streams open now, per node (for logs and tests). */
  openCount(nodeId: string): number {
    return this.links.get(nodeId)?.size ?? 0;
  }
}

function newStreamId(): string {
  return randomBytes(12).toString('base64url');
}
