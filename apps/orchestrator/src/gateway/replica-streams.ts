import { EventEmitter } from 'node:events';
import { deserialize, serialize } from 'node:v8';
import {
  acceptStreams,
  LinkStreams,
  openStream,
  type LinkStream,
  type StreamCarrier,
  type StreamOpenRequest,
} from '@playground/contracts/link-streams';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

// Port streams to a node whose agent link another orchestrator replica holds. The replica
// that wants the stream (the opener) and the replica that holds the link (the holder) talk the
// same stream protocol as an orchestrator and an agent (contracts/link-streams.ts), carried by
// Redis pub/sub: each replica listens on a channel of its own and publishes a frame straight
// to the one replica it is for. The holder accepts the stream like an agent does, except that
// its "dial" opens a stream on the agent link it holds, and pipes the two together.
//
// Why pub/sub to a replica's own channel and not the Socket.IO adapter's server-side events:
// those go to every replica and carry JSON, and an acknowledgement waits for all of them;
// a frame here goes to one replica, as binary, and its acknowledgement comes back alone.
//
// Flow control stays end to end: each hop (opener ↔ holder, holder ↔ agent) has its own
// credit window, and the holder pipes one into the other with back-pressure, so a slow reader
// at either end stops the sender at the other and no process buffers more than about a
// window per hop. Cleanup: the agent link dropping on the holder closes the agent-side stream,
// whose pipe closes the replica-side one (the opener sees a reset); a replica that is gone
// (killed, its Redis connection closed) has no subscriber on its channel any more, which a
// publish (answered by 0 receivers) or the periodic check below notices, and every stream
// with it ends on this side.

/** How often a replica with streams through another checks that the other is still there. */
const PEER_CHECK_MS = 3_000;

/** The opener's and the holder's halves are kept apart, so a link that moves cannot mix them. */
type Side = 'opener' | 'holder';

/** One frame between replicas. `ack` names the acknowledgement the sender waits for. */
interface Frame {
  from: string;
  /** Which side sent it: an opener's frames go to the receiver's holder half, and back. */
  side: Side;
  nodeId: string;
  event: string;
  args: unknown[];
  ack?: number;
}

/** An acknowledgement coming back: what the receiver's callback was called with. */
interface AckFrame {
  from: string;
  acked: number;
  args: unknown[];
}

/** Opens a stream on an agent link this replica holds (NodeStreams' local path). */
export type LocalDial = (nodeId: string, request: StreamOpenRequest) => Promise<LinkStream>;

/** The stream protocol's carrier for one (other replica, node, side): frames go out through Redis. */
class ReplicaCarrier extends EventEmitter implements StreamCarrier {
  constructor(
    private readonly relay: ReplicaStreams,
    readonly peer: string,
    readonly nodeId: string,
    readonly side: Side,
  ) {
    super();
  }

  override emit(event: string, ...args: unknown[]): boolean {
    this.relay.send(this, event, args);
    return true;
  }

  /** A frame that arrived for this carrier. */
  deliver(event: string, args: unknown[]): void {
    super.emit(event, ...args);
  }
}

export class ReplicaStreams {
  private readonly channelPrefix: string;
  private readonly carriers = new Map<string, { carrier: ReplicaCarrier; streams: LinkStreams }>();
  private readonly pendingAcks = new Map<number, { peer: string; reply: (...args: unknown[]) => void }>();
  private nextAck = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly replicaId: string,
    private readonly dialHere: LocalDial,
    private readonly logger: Logger,
  ) {
    this.channelPrefix = `${prefix}:replica-streams:`;
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.received(message));
    // Redis away: the shared connection already logs it; this one reconnects and resubscribes by itself.
    subscriber.on('error', (error: Error) => logger.debug({ err: error.message }, 'replica_streams.redis_error'));
  }

  /**
   * Starts listening for frames from other replicas. Not awaited: with Redis away at start the
   * subscription waits in the connection's offline queue (ioredis subscribes again after any
   * reconnect), and the orchestrator serves everything else meanwhile.
   */
  start(): void {
    this.subscriber.subscribe(this.channelPrefix + this.replicaId).catch((error: Error) => this.logger.warn({ err: error.message }, 'replica_streams.subscribe_failed'));
    this.timer = setInterval(() => void this.checkPeers(), PEER_CHECK_MS);
    this.timer.unref();
  }

  /** A stream to `request`'s port on `nodeId`, whose agent link `holder` (another replica) holds. */
  open(holder: string, nodeId: string, request: StreamOpenRequest): Promise<LinkStream> {
    return openStream(this.streamsFor(holder, nodeId, 'opener'), request);
  }

  /** Streams open through or for other replicas (for logs and tests). */
  get size(): number {
    let count = 0;
    for (const { streams } of this.carriers.values()) count += streams.size;
    return count;
  }

  /** The node's agent link on this replica is gone: drop the holder halves kept for it (their streams ended with the link). */
  nodeUnlinkedHere(nodeId: string): void {
    for (const [key, entry] of this.carriers) {
      if (entry.carrier.nodeId !== nodeId || entry.carrier.side !== 'holder') continue;
      this.drop(key, "the node's agent link was lost");
    }
  }

  /**
   * Whether the replica `peer` runs: it listens on its channel from its start until it stops
   * or dies (Redis drops a killed process's subscription with its connection).
   */
  async isListening(peer: string): Promise<boolean> {
    const answer = (await this.publisher.pubsub('NUMSUB', this.channelPrefix + peer)) as unknown[];
    return Number(answer[1]) > 0;
  }

  /** Ends every stream through other replicas and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const key of [...this.carriers.keys()]) this.drop(key, 'the orchestrator is shutting down');
    this.subscriber.disconnect();
  }

  /** @internal A carrier's frame, published to the one replica it is for. */
  send(carrier: ReplicaCarrier, event: string, args: unknown[]): void {
    const last = args.at(-1);
    const frame: Frame = { from: this.replicaId, side: carrier.side, nodeId: carrier.nodeId, event, args };
    if (typeof last === 'function') {
      frame.ack = this.nextAck++;
      frame.args = args.slice(0, -1);
      this.pendingAcks.set(frame.ack, { peer: carrier.peer, reply: last as (...args: unknown[]) => void });
    }
    this.publish(carrier.peer, frame);
  }

  private publish(peer: string, frame: Frame | AckFrame): void {
    this.publisher.publish(this.channelPrefix + peer, serialize(frame)).then(
      (receivers) => {
        if (receivers === 0) this.peerGone(peer, 'the orchestrator replica on the other end is gone');
      },
      (error: Error) => this.peerGone(peer, `Redis could not carry the stream (${error.message})`),
    );
  }

  private received(message: Buffer): void {
    let frame: Frame | AckFrame;
    try {
      frame = deserialize(message) as Frame | AckFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame.from !== 'string' || !Array.isArray(frame.args)) return;
    if ('acked' in frame) {
      const pending = this.pendingAcks.get(frame.acked);
      if (!pending || pending.peer !== frame.from) return;
      this.pendingAcks.delete(frame.acked);
      pending.reply(...frame.args);
      return;
    }
    if (typeof frame.nodeId !== 'string' || typeof frame.event !== 'string') return;
    // An opener's frame goes to this replica's holder half, a holder's to the opener half.
    const side: Side = frame.side === 'opener' ? 'holder' : 'opener';
    const key = carrierKey(frame.from, frame.nodeId, side);
    // Only an opener starts something new here; a holder's frame for a half gone already is stale.
    if (side === 'opener' && !this.carriers.has(key)) {
      if (typeof frame.ack === 'number') this.publish(frame.from, { from: this.replicaId, acked: frame.ack, args: [] });
      return;
    }
    const { carrier } = this.carriers.get(key) ?? this.createHolder(frame.from, frame.nodeId);
    const args = [...frame.args];
    if (typeof frame.ack === 'number') {
      const acked = frame.ack;
      const peer = frame.from;
      args.push((...reply: unknown[]) => this.publish(peer, { from: this.replicaId, acked, args: reply }));
    }
    carrier.deliver(frame.event, args);
  }

  private streamsFor(peer: string, nodeId: string, side: Side): LinkStreams {
    const key = carrierKey(peer, nodeId, side);
    const existing = this.carriers.get(key);
    if (existing) return existing.streams;
    const carrier = new ReplicaCarrier(this, peer, nodeId, side);
    const streams = new LinkStreams(carrier);
    this.carriers.set(key, { carrier, streams });
    return streams;
  }

  /** The holder half for an opener on `peer`: accepts its streams by opening them on the agent link here. */
  private createHolder(peer: string, nodeId: string): { carrier: ReplicaCarrier; streams: LinkStreams } {
    const carrier = new ReplicaCarrier(this, peer, nodeId, 'holder');
    const streams = acceptStreams(carrier, (request) => this.dialHere(nodeId, request));
    const entry = { carrier, streams };
    this.carriers.set(carrierKey(peer, nodeId, 'holder'), entry);
    return entry;
  }

  private drop(key: string, reason: string): void {
    const entry = this.carriers.get(key);
    if (!entry) return;
    this.carriers.delete(key);
    entry.streams.closeAll(reason);
    entry.streams.detach();
    entry.carrier.removeAllListeners();
  }

  /** Every stream with `peer` ends here: nothing more can come from it. */
  private peerGone(peer: string, reason: string): void {
    let streams = 0;
    for (const [key, entry] of this.carriers) {
      if (entry.carrier.peer !== peer) continue;
      streams += entry.streams.size;
      this.drop(key, reason);
    }
    for (const [id, pending] of this.pendingAcks) if (pending.peer === peer) this.pendingAcks.delete(id);
    if (streams) this.logger.info({ peer, streams, reason }, 'replica_streams.peer_gone');
  }

  /** A replica killed without a word has no subscriber on its channel: its streams end here too. */
  private async checkPeers(): Promise<void> {
    const peers = new Set([...this.carriers.values()].filter(({ streams }) => streams.size > 0).map(({ carrier }) => carrier.peer));
    for (const peer of peers) {
      try {
        if (!(await this.isListening(peer))) this.peerGone(peer, 'the orchestrator replica on the other end is gone');
      } catch {
        // Redis away: the publishes of the streams themselves fail and end them.
      }
    }
  }
}

function carrierKey(peer: string, nodeId: string, side: Side): string {
  return `${side}\n${peer}\n${nodeId}`;
}
