import { CpuAbuseReport, InstanceId, NodeAnnouncement, UsageReport, type LiveInstances } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { InstanceUsageStore } from '../instance-usage.ts';
import type { Instances } from '../instances.ts';
import type { Logger } from '../logger.ts';
import type { Nodes } from '../nodes.ts';
import { SESSION_STATUSES_KEPT_ON_NODE, SLOT_INSTANCE_STATUSES } from '../record-statuses.ts';
import type { AgentListener, AgentSocket } from './agent-links.ts';

// What node agents report over their link, checked at this edge and handed to the module
// that owns the record: the node's own announcement to `nodes`, what happened to its
// instances to `instances`, what they use now to `usage`. An agent can only speak of its own node and instances.

export class AgentReports implements AgentListener {
  constructor(
    private readonly db: Db,
    private readonly nodes: Nodes,
    private readonly instances: Instances,
    private readonly usage: InstanceUsageStore,
    private readonly logger: Logger,
  ) {}

  agentConnected(nodeId: string, socket: AgentSocket): void {
    socket.on('node.announce', (raw) => void this.guard('node.announce', () => this.announce(nodeId, raw)));
    socket.on('node.live', (reply) => {
      void this.guard('node.live', async () => {
        if (typeof reply === 'function') reply(await this.live(nodeId));
      });
    });
    socket.on('instance.ports', (instanceId, ports) =>
      void this.guard('instance.ports', async () => {
        if (InstanceId.safeParse(instanceId).success && Array.isArray(ports)) {
          await this.instances.recordPorts(nodeId, instanceId, validPorts(ports));
        }
      }),
    );
    socket.on('instance.gone', (instanceId, reason) =>
      void this.guard('instance.gone', async () => {
        if (InstanceId.safeParse(instanceId).success) await this.instances.recordGone(nodeId, instanceId, String(reason));
      }),
    );
    socket.on('instance.cpu_warning', (instanceId, raw) =>
      void this.guard('instance.cpu_warning', async () => {
        if (!InstanceId.safeParse(instanceId).success) return;
        await this.instances.recordCpuWarning(nodeId, instanceId, raw === null ? null : CpuAbuseReport.parse(raw));
      }),
    );
    socket.on('instance.stopped', (instanceId, raw) =>
      void this.guard('instance.stopped', async () => {
        if (InstanceId.safeParse(instanceId).success) await this.instances.recordStopped(nodeId, instanceId, CpuAbuseReport.parse(raw));
      }),
    );
    socket.on('instance.usage', (raw) =>
      void this.guard('instance.usage', async () => {
        await this.usage.record(nodeId, UsageReport.parse(raw));
      }),
    );
  }

  agentDisconnected(): void {
    // Liveness is the node monitor's to judge (reaper/node-monitor.ts), from the link's drop time.
  }

  private async announce(nodeId: string, raw: unknown): Promise<void> {
    const announcement = NodeAnnouncement.parse(raw);
    if (announcement.nodeId !== nodeId) throw new Error(`announcement for ${announcement.nodeId} on the socket of ${nodeId}`);
    await this.nodes.recordAnswer(announcement, new Date());
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

  /** An agent's message must never take the process down; a failure is logged. */
  private async guard(event: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.logger.warn({ err: error, event }, 'agent.event_failed');
    }
  }
}

/** Port numbers as a sorted set; anything else an agent sent is dropped. */
function validPorts(raw: unknown[]): number[] {
  return [...new Set(raw.filter((p): p is number => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535))].sort(
    (a, b) => a - b,
  );
}
