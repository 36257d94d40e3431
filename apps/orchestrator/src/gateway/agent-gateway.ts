import {
  AGENT_NAMESPACE,
  AgentAuth,
  CpuAbuseReport,
  EVENT,
  InstanceId,
  NodeAnnouncement,
  NodeId,
  UNSAFE_SECURITY_MODES,
  type AgentToOrchestrator,
  type LiveInstances,
  type OrchestratorToAgent,
} from '@playground/contracts';
import type { Namespace, Server, Socket } from 'socket.io';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { NodeCredentials } from '../node-credentials.ts';
import type { Nodes } from '../nodes.ts';
import { SESSION_STATUSES_KEPT_ON_NODE, SLOT_INSTANCE_STATUSES } from '../record-statuses.ts';
import type { TerminalExits } from '../terminal-exits.ts';

// `/agent`: node agents dial in with { nodeId, token }, the token being that node's own
// (node-credentials.ts). One live socket per node: a second connection claiming a node is
// refused while the current link answers a ping, and replaces it when it does not (an agent
// restarted before its old socket timed out). The record (Postgres) is updated from what
// agents report; terminal bytes are handed to whoever subscribed (the terminal gateway).

export type AgentSocket = Socket<AgentToOrchestrator, OrchestratorToAgent, Record<string, never>, { nodeId: string }>;
type AgentNamespace = Namespace<AgentToOrchestrator, OrchestratorToAgent, Record<string, never>, { nodeId: string }>;

export interface AgentListener {
  agentConnected(nodeId: string, socket: AgentSocket): void;
  agentDisconnected(nodeId: string): void;
}

/** How long the current link of a node has to answer before a newcomer may replace it. */
const LIVE_LINK_PING_MS = 2_000;

type Refusal = Error & { data?: unknown };

export class AgentGateway {
  private readonly agents = new Map<string, AgentSocket>();
  /** When this process saw each node's link drop (cleared when it reconnects); the node monitor reads it. */
  private readonly droppedAt = new Map<string, number>();
  /** Terminals waiting for a node's agent to connect (see waitForAgent). */
  private readonly linkWaiters = new Map<string, Set<(socket: AgentSocket | undefined) => void>>();
  private readonly listeners: AgentListener[] = [];
  private readonly namespace: AgentNamespace;

  constructor(
    io: Server,
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly credentials: NodeCredentials,
    private readonly terminals: TerminalExits,
    private readonly nodes: Nodes,
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

  /** Whether the node's current link (if any) answers a ping in time. */
  private async linkAnswers(nodeId: string): Promise<boolean> {
    const current = this.agents.get(nodeId);
    if (!current?.connected) return false;
    try {
      await current.timeout(LIVE_LINK_PING_MS).emitWithAck('node.ping');
      return true;
    } catch {
      this.logger.warn({ nodeId }, 'agent.stale_link');
      return false;
    }
  }

  /**
   * Revokes every token of the node and returns its new one; a live link of the node is cut,
   * so an agent holding a stolen (or just replaced) token is out at once.
   */
  async rotateCredential(nodeId: string): Promise<{ nodeId: string; token: string; generation: number }> {
    const issued = await this.credentials.rotate(nodeId);
    this.agents.get(nodeId)?.disconnect(true);
    await this.audit.record(EVENT.nodeCredentialRotated, { nodeId, data: { generation: issued.generation } });
    return { nodeId, ...issued };
  }

  subscribe(listener: AgentListener): void {
    this.listeners.push(listener);
  }

  socketFor(nodeId: string): AgentSocket | undefined {
    return this.agents.get(nodeId);
  }

  /**
   * The node's agent link, waiting up to `timeoutMs` for one that has not connected to this
   * process yet (the agent or this orchestrator just started): a terminal opened in that
   * gap waits instead of being refused. A link this process saw drop answers at once, so
   * nothing hangs on a node that may be dying.
   */
  async waitForAgent(nodeId: string, timeoutMs: number): Promise<AgentSocket | undefined> {
    const connected = this.agents.get(nodeId);
    if (connected || timeoutMs <= 0 || this.droppedAt.has(nodeId)) return connected;
    return new Promise((resolve) => {
      const waiters = this.linkWaiters.get(nodeId) ?? new Set();
      const done = (socket: AgentSocket | undefined) => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve(socket);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      waiters.add(done);
      this.linkWaiters.set(nodeId, waiters);
    });
  }

  connectedNodes(): string[] {
    return [...this.agents.keys()];
  }

  /**
   * Since when (ms epoch) the node's link is down, if this process saw it drop and it has
   * not come back. A node never connected to this process has no entry: after a restart
   * its agent is given the heartbeat rule only, so a restart alone never loses a node.
   */
  linkDroppedAt(nodeId: string): number | undefined {
    return this.droppedAt.get(nodeId);
  }

  private onConnection(socket: AgentSocket): void {
    const nodeId = socket.data.nodeId;
    const previous = this.agents.get(nodeId);
    this.agents.set(nodeId, socket);
    this.droppedAt.delete(nodeId);
    if (previous && previous.id !== socket.id) {
      // Only a link that stopped answering its ping is replaced (see admit): an agent restart.
      this.logger.warn({ nodeId, address: socket.handshake.address }, 'agent.replaced');
      previous.disconnect(true);
      for (const listener of this.listeners) listener.agentDisconnected(nodeId);
    }
    this.logger.info({ nodeId }, 'agent.connected');
    for (const wake of this.linkWaiters.get(nodeId) ?? []) wake(socket);
    for (const listener of this.listeners) listener.agentConnected(nodeId, socket);

    socket.on('node.announce', (announcement) => void this.guard('node.announce', () => this.announce(nodeId, announcement)));
    socket.on('node.live', (reply) => {
      void this.guard('node.live', async () => {
        if (typeof reply === 'function') reply(await this.live(nodeId));
      });
    });
    socket.on('instance.ports', (instanceId, ports) => void this.guard('instance.ports', () => this.ports(nodeId, instanceId, ports)));
    socket.on('instance.gone', (instanceId, reason) => void this.guard('instance.gone', () => this.gone(nodeId, instanceId, reason)));
    socket.on('instance.cpu_warning', (instanceId, report) =>
      void this.guard('instance.cpu_warning', () => this.cpuWarning(nodeId, instanceId, report)),
    );
    socket.on('instance.stopped', (instanceId, report) => void this.guard('instance.stopped', () => this.stopped(nodeId, instanceId, report)));
    socket.on('disconnect', (reason) => {
      if (this.agents.get(nodeId) !== socket) return;
      this.agents.delete(nodeId);
      // A deliberate close of this process (io.close) is not the node's fault.
      if (reason !== 'server shutting down') this.droppedAt.set(nodeId, Date.now());
      this.logger.info({ nodeId, reason }, 'agent.disconnected');
      for (const listener of this.listeners) listener.agentDisconnected(nodeId);
    });
  }

  /** An agent's message must never take the process down; a failure is logged. */
  private async guard(event: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.logger.warn({ err: error, event }, 'agent.event_failed');
    }
  }

  private async announce(nodeId: string, raw: unknown): Promise<void> {
    const announcement = NodeAnnouncement.parse(raw);
    if (announcement.nodeId !== nodeId) throw new Error(`announcement for ${announcement.nodeId} on the socket of ${nodeId}`);
    const before = await this.db.node.findUnique({ where: { id: nodeId }, select: { status: true } });
    // Draining is the operator's choice: announcing (a restart, a reconnect) never undoes it.
    const status = await this.nodes.statusOnReturn(nodeId, before?.status);
    const fields = {
      name: announcement.name,
      engineVersion: announcement.engineVersion,
      capacityInstances: announcement.capacity.instances,
      capacityMemory: BigInt(announcement.capacity.memoryBytes),
      status,
      lastSeenAt: new Date(),
    };
    await this.db.node.upsert({ where: { id: nodeId }, create: { id: nodeId, ...fields }, update: fields });
    if (before?.status !== status) await this.audit.record(EVENT.nodeUp, { nodeId, data: { name: announcement.name, status } });
  }

  /**
   * What the node should still have; everything else it labelled is garbage. Lost (and
   * ended) sessions are left out, so a node that comes back removes what they left.
   */
  async live(nodeId: string): Promise<LiveInstances> {
    const kept = { in: [...SESSION_STATUSES_KEPT_ON_NODE] };
    const [sessions, instances] = await Promise.all([
      this.db.session.findMany({ where: { nodeId, status: kept }, select: { id: true } }),
      this.db.instance.findMany({
        where: { nodeId, status: { in: [...SLOT_INSTANCE_STATUSES] }, session: { status: kept } },
        select: { id: true },
      }),
    ]);
    return { sessionIds: sessions.map((s) => s.id), instanceIds: instances.map((i) => i.id) };
  }

  private async ports(nodeId: string, instanceId: unknown, rawPorts: unknown): Promise<void> {
    if (!InstanceId.safeParse(instanceId).success || !Array.isArray(rawPorts)) return;
    const ports = [...new Set(rawPorts.filter((p): p is number => Number.isInteger(p) && p >= 1 && p <= 65535))].sort(
      (a, b) => a - b,
    );
    // Scoped to the reporting node: an agent can only describe its own instances.
    await this.db.instance.updateMany({ where: { id: instanceId as string, nodeId }, data: { ports } });
  }

  /**
   * The agent saw an instance's container stop or vanish. Only a `running` instance becomes
   * `lost`. A `creating` one is left alone: its create job decides its fate (running, or
   * failed through the job or the reaper), and an agent reconciling before it made the
   * container (e.g. right after its start) would otherwise kill every new instance.
   */
  private async gone(nodeId: string, instanceId: unknown, reason: unknown): Promise<void> {
    if (!InstanceId.safeParse(instanceId).success) return;
    const id = instanceId as string;
    const changed = await this.db.instance.updateMany({
      where: { id, nodeId, status: 'running' },
      data: { status: 'lost', error: String(reason).slice(0, 500) },
    });
    if (changed.count === 0) {
      const row = await this.db.instance.findFirst({ where: { id, nodeId }, select: { status: true } });
      if (row?.status === 'creating') {
        this.logger.debug({ nodeId, instanceId: id, reason: String(reason) }, 'instance.gone_ignored_creating');
        return;
      }
    }
    this.terminals.exitInstance(id, goneText(String(reason)));
    if (changed.count > 0) await this.audit.record(EVENT.instanceGone, { instanceId: id, nodeId, data: { reason: String(reason) } });
  }

  /**
   * A running instance burns its full CPU quota: the warning is kept in the record (the
   * instance's `error`, which for a running instance is what the learner is warned of) for the
   * page, and written into its open terminals. A null report withdraws it.
   */
  private async cpuWarning(nodeId: string, instanceId: unknown, raw: unknown): Promise<void> {
    if (!InstanceId.safeParse(instanceId).success) return;
    const id = instanceId as string;
    const report = raw === null ? null : CpuAbuseReport.parse(raw);
    const changed = await this.db.instance.updateMany({ where: { id, nodeId, status: 'running' }, data: { error: report?.message ?? null } });
    if (changed.count === 0 || !report) return;
    this.terminals.noticeInstance(id, report.message);
    const row = await this.db.instance.findUnique({ where: { id }, select: { sessionId: true } });
    await this.audit.record(EVENT.instanceCpuWarning, { instanceId: id, sessionId: row?.sessionId, nodeId, data: { ...report } });
  }

  /**
   * The agent stopped an instance for abuse and is removing it. It ends like a crashed one
   * (`lost`, its slot free) but with the agent's reason, which the page and terminals show and
   * the audit log keeps with the figures. A `creating` or already ended instance keeps its fate.
   */
  private async stopped(nodeId: string, instanceId: unknown, raw: unknown): Promise<void> {
    if (!InstanceId.safeParse(instanceId).success) return;
    const id = instanceId as string;
    const report = CpuAbuseReport.parse(raw);
    const changed = await this.db.instance.updateMany({
      where: { id, nodeId, status: 'running' },
      data: { status: 'lost', error: report.message },
    });
    this.terminals.exitInstance(id, report.message);
    if (changed.count === 0) return;
    const row = await this.db.instance.findUnique({ where: { id }, select: { sessionId: true } });
    await this.audit.record(EVENT.instanceStoppedAbuse, { instanceId: id, sessionId: row?.sessionId, nodeId, data: { ...report } });
  }
}

/** What a learner's terminal says when its instance died on its own (crash, OOM kill, removed on the host). */
export function goneText(reason: string): string {
  const text = reason.trim() || 'the instance stopped';
  return `${text[0]!.toUpperCase()}${text.slice(1)}${/[.!]$/.test(text) ? '' : '.'}`;
}
