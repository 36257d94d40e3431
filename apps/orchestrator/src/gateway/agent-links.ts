import {
  AGENT_NAMESPACE,
  AgentAuth,
  EVENT,
  NodeId,
  UNSAFE_SECURITY_MODES,
  type AgentToOrchestrator,
  type OrchestratorToAgent,
} from '@playground/contracts';
import type { Namespace, Server, Socket } from 'socket.io';
import type { AuditLog } from '../audit.ts';
import type { Logger } from '../logger.ts';
import type { NodeCredentials } from '../node-credentials.ts';
import type { LinkRegistry } from './link-registry.ts';
import { nodeRoom } from './node-links.ts';

// `/agent`: node agents dial in with { nodeId, token }, the token being that node's own
// (node-credentials.ts). One live socket per node: a second connection claiming a node is
// refused while the current link answers a ping, and replaces it when it does not (an agent
// restarted before its old socket timed out). This module only keeps the links: what agents
// say is handled by the parts that subscribe (the terminal gateway relays terminal bytes,
// agent-reports.ts records what nodes report), told of each link in the order they subscribed.
// With several orchestrator replicas the rule holds across them: the live-link ping and the
// replacement go to the node's room (node-links.ts), wherever its socket is, and which replica
// holds the link, or since when it is down, is kept in Redis (link-registry.ts).

export type AgentSocket = Socket<AgentToOrchestrator, OrchestratorToAgent, Record<string, never>, { nodeId: string }>;
type AgentNamespace = Namespace<AgentToOrchestrator, OrchestratorToAgent, Record<string, never>, { nodeId: string }>;

/** A part that listens to agents: told of each link as it connects (it registers its handlers then) and drops. */
export interface AgentListener {
  agentConnected(nodeId: string, socket: AgentSocket): void;
  agentDisconnected(nodeId: string): void;
}

/** How long the current link of a node has to answer before a newcomer may replace it. */
const LIVE_LINK_PING_MS = 2_000;

type Refusal = Error & { data?: unknown };

export class AgentLinks {
  private readonly agents = new Map<string, AgentSocket>();
  private readonly listeners: AgentListener[] = [];
  private readonly namespace: AgentNamespace;

  constructor(
    io: Server,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly credentials: NodeCredentials,
    private readonly registry: LinkRegistry,
    /** Refuse agents whose security mode lets a learner reach the host (a public playground). */
    private readonly refuseUnsafeModes: boolean,
  ) {
    this.namespace = io.of(AGENT_NAMESPACE) as AgentNamespace;
    this.namespace.use((socket, next) => {
      this.admit(socket).then(
        (refusal) => next(refusal),
        (error: unknown) => {
          this.logger.error({ err: error }, 'agent.admit_failed');
          next(new Error('The orchestrator could not check this agent right now; retrying later.'));
        },
      );
    });
    this.namespace.on('connection', (socket) => this.onConnection(socket));
  }

  /** Undefined to let the socket in, or why not. */
  private async admit(socket: AgentSocket): Promise<Refusal | undefined> {
    const auth = AgentAuth.safeParse(socket.handshake.auth);
    const address = socket.handshake.address;
    if (!auth.success || !NodeId.safeParse(auth.data.nodeId).success || !(await this.credentials.verify(auth.data.nodeId, auth.data.token))) {
      // Only logged: unauthenticated callers must not be able to fill the audit history.
      this.logger.warn({ address, nodeId: auth.success ? auth.data.nodeId : undefined }, 'agent.refused');
      return new Error("Agent authentication failed: a valid nodeId and that node's own AGENT_TOKEN are required.");
    }
    const { nodeId, securityMode: mode } = auth.data;
    if (this.refuseUnsafeModes && mode && UNSAFE_SECURITY_MODES.includes(mode)) {
      this.logger.error({ nodeId, securityMode: mode }, 'agent.refused_unsafe_mode');
      const refusal: Refusal = new Error(
        `Node ${nodeId} runs SECURITY_MODE=${mode}, in which root in an instance can become root on the host; ` +
          'this playground is public (PUBLIC_URL is not loopback). Use SECURITY_MODE=userns, or set ALLOW_UNSAFE_SECURITY_MODE=true on the orchestrator to accept it.',
      );
      refusal.data = { fatal: true, code: 'unsafe_security_mode' };
      return refusal;
    }
    if (await this.linkAnswers(nodeId)) {
      await this.audit.record(EVENT.nodeConnectionRefused, { nodeId, data: { address, reason: 'live_link' } });
      // Not fatal: a restarted agent whose old link is still answering gets in once it stops.
      const refusal: Refusal = new Error(`Node ${nodeId} already has a live agent connection; a second one is refused.`);
      refusal.data = { code: 'node_already_connected' };
      return refusal;
    }
    socket.data.nodeId = nodeId;
    return undefined;
  }

  /** Whether the node's current link (if any, on any replica) answers a ping in time. */
  private async linkAnswers(nodeId: string): Promise<boolean> {
    try {
      // One (empty) answer per socket in the room; none when no replica holds a link.
      const answers = (await this.namespace.to(nodeRoom(nodeId)).timeout(LIVE_LINK_PING_MS).emitWithAck('node.ping')) as unknown as unknown[];
      return answers.length > 0;
    } catch (error) {
      this.logger.warn({ nodeId, err: error }, 'agent.stale_link');
      return false;
    }
  }

  /**
   * Revokes every token of the node and returns its new one; a live link of the node is cut,
   * so an agent holding a stolen (or just replaced) token is out at once.
   */
  async rotateCredential(nodeId: string): Promise<{ nodeId: string; token: string; generation: number }> {
    const issued = await this.credentials.rotate(nodeId);
    this.namespace.in(nodeRoom(nodeId)).disconnectSockets(true);
    await this.audit.record(EVENT.nodeCredentialRotated, { nodeId, data: { generation: issued.generation } });
    return { nodeId, ...issued };
  }

  subscribe(listener: AgentListener): void {
    this.listeners.push(listener);
  }

  /** The node's link if this replica holds it; other replicas' links are reached through NodeLinks. */
  socketFor(nodeId: string): AgentSocket | undefined {
    return this.agents.get(nodeId);
  }

  /** The namespace agents link to; NodeLinks reaches links on other replicas through its rooms. */
  namespaceForLinks(): AgentNamespace {
    return this.namespace;
  }

  connectedNodes(): string[] {
    return [...this.agents.keys()];
  }

  /**
   * Since when (ms epoch) the node's link is down, if a replica saw it drop and it has not
   * come back. A node whose link no replica saw drop has no entry: after a restart its agent
   * is given the heartbeat rule only, so a restart alone never loses a node.
   */
  linkDroppedAt(nodeId: string): Promise<number | undefined> {
    return this.registry.droppedAt(nodeId);
  }

  private onConnection(socket: AgentSocket): void {
    const nodeId = socket.data.nodeId;
    const previous = this.agents.get(nodeId);
    this.agents.set(nodeId, socket);
    // A link of the node on another replica stopped answering (see admit): it is replaced too.
    // (The adapter delivers this to every replica, this one included, after this socket joined.)
    this.namespace.in(nodeRoom(nodeId)).except(socket.id).disconnectSockets(true);
    void socket.join(nodeRoom(nodeId));
    void this.registry.linked(nodeId, socket.id);
    if (previous && previous.id !== socket.id) {
      // Only a link that stopped answering its ping is replaced (see admit): an agent restart.
      this.logger.warn({ nodeId, address: socket.handshake.address }, 'agent.replaced');
      previous.disconnect(true);
      for (const listener of this.listeners) listener.agentDisconnected(nodeId);
    }
    this.logger.info({ nodeId }, 'agent.connected');
    for (const listener of this.listeners) listener.agentConnected(nodeId, socket);

    socket.on('disconnect', (reason) => {
      if (this.agents.get(nodeId) !== socket) return;
      this.agents.delete(nodeId);
      // A deliberate close of this process (io.close) is not the node's fault.
      if (reason !== 'server shutting down') void this.registry.dropped(nodeId, socket.id, Date.now());
      this.logger.info({ nodeId, reason }, 'agent.disconnected');
      for (const listener of this.listeners) listener.agentDisconnected(nodeId);
    });
  }
}
