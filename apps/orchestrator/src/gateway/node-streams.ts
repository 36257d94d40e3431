import { randomBytes } from 'node:crypto';
import {
  LinkStreams,
  openStream,
  StreamOpenError,
  type InstanceArchive,
  type LinkStream,
  type StreamCarrier,
} from '@playground/contracts/link-streams';
import type { Logger } from '../logger.ts';
import type { AgentListener, AgentSocket } from './agent-links.ts';

// Byte streams to ports of instances, carried by each node agent's own link
// (contracts/link-streams.ts): the agent connects to the port on its host, so this process
// needs no route to any node's instance network. `open` is the one way in: when agent links
// may live on another orchestrator replica, that is the function to route across replicas.

/** What a stream is for: a port of an instance on a node. */
export interface StreamTarget {
  nodeId: string;
  instanceId: string;
  port: number;
  /** How long the node may take to connect to the port. */
  connectTimeoutMs: number;
}

export class NodeStreams implements AgentListener {
  private readonly links = new Map<string, LinkStreams>();

  constructor(private readonly logger: Logger) {}

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
  }

  /**
   * A two-way byte stream to `target`, once its node has connected it. Rejects with a
   * StreamOpenError: `not_connected` (no link to that node here), `connect_timeout`,
   * `refused`, `not_found`, `port_forbidden`, `too_many_streams`.
   */
  async open(target: StreamTarget): Promise<LinkStream> {
    const streams = this.links.get(target.nodeId);
    if (!streams) throw new StreamOpenError('not_connected', 'the node running this instance is not connected right now');
    return openStream(streams, {
      streamId: randomBytes(12).toString('base64url'),
      instanceId: target.instanceId,
      port: target.port,
      connectTimeoutMs: target.connectTimeoutMs,
    });
  }

  /**
   * A stream of an archive the node makes of one of its instances ("Download my work"): it
   * carries the archive's bytes and ends. Rejects like `open` (`not_found` names missing images).
   */
  async openArchive(nodeId: string, instanceId: string, archive: InstanceArchive, startTimeoutMs: number): Promise<LinkStream> {
    const streams = this.links.get(nodeId);
    if (!streams) throw new StreamOpenError('not_connected', 'the node running this instance is not connected right now');
    return openStream(streams, { streamId: randomBytes(12).toString('base64url'), instanceId, archive, connectTimeoutMs: startTimeoutMs });
  }

  /** Streams open now, per node (for logs and tests). */
  openCount(nodeId: string): number {
    return this.links.get(nodeId)?.size ?? 0;
  }
}
