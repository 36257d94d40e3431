import type Docker from 'dockerode';
import type { NodeAnnouncement } from '@playground/contracts';
import type { InstanceProvisioner } from './instances/instance-provisioner.ts';
import type { WarmPool } from './instances/warm-pool.ts';

/** Builds what this node says about itself (announce on connect, and every heartbeat). */
export function nodeAnnouncer(opts: {
  docker: Docker;
  provisioner: Pick<InstanceProvisioner, 'listInstances'>;
  /** The warm pool, if the node keeps one. */
  pool?: Pick<WarmPool, 'readyCount'>;
  nodeId: string;
  name: string;
  capacityInstances: number;
  capacityMemoryMb: number;
}): () => Promise<NodeAnnouncement> {
  let engineVersion: string | undefined;
  return async () => {
    engineVersion ??= (await opts.docker.version()).Version;
    const instances = (await opts.provisioner.listInstances()).filter((i) => i.running).length;
    return {
      nodeId: opts.nodeId,
      name: opts.name,
      engineVersion,
      capacity: { instances: opts.capacityInstances, memoryBytes: opts.capacityMemoryMb * 1024 * 1024 },
      // Warm members are not usage: each becomes an instance without a new slot. The pool
      // only fills capacity the instances leave free.
      usage: { instances, warm: opts.pool?.readyCount ?? 0 },
    };
  };
}
