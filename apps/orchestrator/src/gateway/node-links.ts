import { setTimeout as sleep } from 'node:timers/promises';
import type { Namespace } from 'socket.io';
import type { AgentLinks, AgentListener, AgentSocket } from './agent-links.ts';
import type { LinkRegistry } from './link-registry.ts';

// The one way to reach node X's agent from this orchestrator replica, whichever replica holds
// the agent's link. The link on this replica is used directly (a terminal's echo pays no extra
// hop); a link on another replica is reached through the Socket.IO Redis adapter: every agent
// socket sits in the room `node:<id>`, so an emit to that room, or a call with acks, arrives at
// the one replica that has it. Replicas also tell each other what concerns them through
// `toOtherReplicas`/`onReplicaEvent` (the adapter's server-side emits): output for a viewer
// held elsewhere, a node's link moving. Terminals, instance commands and port traffic all go
// through here; none of them reads AgentLinks' sockets itself.

/** The room of a node's agent socket, on whichever replica holds it. */
export function nodeRoom(nodeId: string): string {
  return `node:${nodeId}`;
}

/** A node's agent link as the rest of the orchestrator uses it: one-way emits, and calls with a reply. */
export interface AgentLink {
  /** The link's socket id when this replica holds it; undefined when another replica does. */
  readonly localId: string | undefined;
  emit: AgentSocket['emit'];
  timeout(ms: number): Pick<ReturnType<AgentSocket['timeout']>, 'emitWithAck'>;
}

/** Binary output crosses replicas as base64: the adapter's server-side emits are JSON. */
export type RelayedOutput = string | { base64: string };

/** What replicas tell each other (Socket.IO server-side events on the agent namespace). */
export interface ReplicaEvents {
  /** Output for a viewer that may be held by the receiving replica; `held` answers whether it was. */
  'viewer.output': (viewerId: string, data: RelayedOutput, ack?: (held: boolean) => void) => void;
  'viewer.exit': (viewerId: string, info: { code: number | null; reason: string }) => void;
  /** The node's agent linked to the sending replica: terminals attached through an older link are gone. */
  'node.linked': (nodeId: string) => void;
  /** The node's agent link on the sending replica dropped. */
  'node.unlinked': (nodeId: string) => void;
}

type ReplicaNamespace = Namespace<Record<string, never>, Record<string, never>, ReplicaEvents>;

/** How often a caller waiting for a node's link looks again (its agent is reconnecting). */
const WAIT_POLL_MS = 200;

export class NodeLinks implements AgentListener {
  private readonly replicas: ReplicaNamespace;

  constructor(
    private readonly agents: Pick<AgentLinks, 'socketFor' | 'namespaceForLinks' | 'subscribe'>,
    private readonly registry: Pick<LinkRegistry, 'droppedAt'>,
  ) {
    this.replicas = agents.namespaceForLinks() as unknown as ReplicaNamespace;
    agents.subscribe(this);
  }

  agentConnected(nodeId: string): void {
    this.toOtherReplicas('node.linked', nodeId);
  }

  agentDisconnected(nodeId: string): void {
    this.toOtherReplicas('node.unlinked', nodeId);
  }

  /** The node's link if this replica holds it (no waiting, no Redis round trip). */
  local(nodeId: string): AgentLink | undefined {
    const socket = this.agents.socketFor(nodeId);
    if (!socket) return undefined;
    return { localId: socket.id, emit: socket.emit.bind(socket) as AgentSocket['emit'], timeout: (ms) => socket.timeout(ms) };
  }

  /**
   * The node's agent link wherever it is, waiting up to `timeoutMs` for an agent that is
   * (re)connecting. A node whose link a replica saw drop, and that has not come back,
   * answers undefined at once, so nothing hangs on a node that may be dying.
   */
  async waitForLink(nodeId: string, timeoutMs: number): Promise<AgentLink | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const here = this.local(nodeId);
      if (here) return here;
      if (await this.heldElsewhere(nodeId, Math.max(deadline - Date.now(), WAIT_POLL_MS))) return this.remote(nodeId);
      const left = deadline - Date.now();
      if (left <= 0 || (await this.droppedAt(nodeId)) !== undefined) return undefined;
      await sleep(Math.min(WAIT_POLL_MS, left));
    }
  }

  /** Tells every other replica, fire and forget. */
  toOtherReplicas<E extends keyof ReplicaEvents>(event: E, ...args: Parameters<ReplicaEvents[E]>): void {
    (this.replicas as unknown as UntypedServerSide).serverSideEmit(event, ...args);
  }

  /**
   * Tells every other replica and collects one answer from each (the adapter's requestsTimeout
   * bounds the wait; `error` then says how many answered).
   */
  askOtherReplicas<T>(event: keyof ReplicaEvents, args: unknown[], answered: (error: Error | null, answers: T[]) => void): void {
    (this.replicas as unknown as UntypedServerSide).serverSideEmit(event, ...args, answered);
  }

  /** Handles what other replicas tell this one. */
  onReplicaEvent<E extends keyof ReplicaEvents>(event: E, handler: ReplicaEvents[E]): void {
    (this.replicas as unknown as { on(event: string, handler: (...args: unknown[]) => void): void }).on(event, handler as (...args: unknown[]) => void);
  }

  /**
   * Whether a replica other than this one holds the node's link right now. Asking needs Redis:
   * while it is away (the adapter's commands wait for it) the answer is no, after `withinMs`.
   */
  private async heldElsewhere(nodeId: string, withinMs: number): Promise<boolean> {
    // A request the adapter gave up on (a replica did not answer) counts as not held, as a timeout does.
    const asked = this.replicas.in(nodeRoom(nodeId)).fetchSockets().then((sockets) => sockets.length > 0, () => false);
    let timer: NodeJS.Timeout | undefined;
    const unanswered = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
    try {
      return await Promise.race([asked, unanswered]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A drop another replica recorded; unknown while Redis is away (the caller keeps waiting until its deadline). */
  private async droppedAt(nodeId: string): Promise<number | undefined> {
    try {
      return await this.registry.droppedAt(nodeId);
    } catch {
      return undefined;
    }
  }

  /** The node's link through the adapter: delivered by the replica whose socket is in the node's room. */
  private remote(nodeId: string): AgentLink {
    const room = this.replicas.to(nodeRoom(nodeId)) as unknown as AgentRoom;
    return {
      localId: undefined,
      emit: ((event: string, ...args: unknown[]) => room.emit(event, ...args)) as AgentSocket['emit'],
      timeout: (ms) => ({
        emitWithAck: (async (event: string, ...args: unknown[]) => {
          const replies = await room.timeout(ms).emitWithAck(event, ...args);
          // No socket in the room anywhere: the same as a link that never answered.
          if (replies.length === 0) throw new Error(`node ${nodeId} has no agent link on any replica`);
          return replies[0];
        }) as ReturnType<AgentSocket['timeout']>['emitWithAck'],
      }),
    };
  }
}

interface UntypedServerSide {
  serverSideEmit(event: string, ...args: unknown[]): boolean;
}

/** The untyped face of a room broadcast, for forwarding typed calls unchanged. */
interface AgentRoom {
  emit(event: string, ...args: unknown[]): boolean;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown[]> };
}
