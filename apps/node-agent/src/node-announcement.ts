import type Docker from 'dockerode';
import type { NodeAnnouncement } from '@playground/contracts';
import type { InstanceProvisioner } from './instances/instance-provisioner.ts';
import type { WarmPool } from './instances/warm-pool.ts';

export interface NodeAnnouncerOptions {
  docker: Docker;
  provisioner: Pick<InstanceProvisioner, 'listInstances'>;
  /** The warm pool, if the node keeps one. */
  pool?: Pick<WarmPool, 'readyCount'>;
  nodeId: string;
  name: string;
  capacityInstances: number;
  capacityMemoryMb: number;
}

/** What this node says about itself: announced on connect, and written by every heartbeat. */
export class NodeAnnouncer {
  private engineVersion: string | undefined;
  private reconciledAt: Date | undefined;

  constructor(private readonly opts: NodeAnnouncerOptions) {}

  /** The node finished reconciling with the orchestrator; every announcement from now on says when. */
  reconciled(at = new Date()): void {
    this.reconciledAt = at;
  }

  async announce(): Promise<NodeAnnouncement> {
    const { opts } = this;
    this.engineVersion ??= (await opts.docker.version()).Version;
    const instances = (await opts.provisioner.listInstances()).filter((i) => i.running).length;
    return {
      nodeId: opts.nodeId,
      name: opts.name,
      engineVersion: this.engineVersion,
      capacity: { instances: opts.capacityInstances, memoryBytes: opts.capacityMemoryMb * 1024 * 1024 },
      // Warm members are not usage: each becomes an instance without a new slot. The pool
      // only fills capacity the instances leave free.
      usage: { instances, warm: opts.pool?.readyCount ?? 0 },
      at: new Date().toISOString(),
      reconciledAt: this.reconciledAt?.toISOString(),
    };
  }
}
