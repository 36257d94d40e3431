import type Docker from 'dockerode';
import { LABEL } from '@playground/contracts';

// Names and labels of the warm pool, and the claim record that says which instance a claimed
// pool container became. Docker cannot change a running container's labels, so a claim is
// written down as a labelled volume (`playground-<instance>-claim`) carrying the session,
// instance and hostname labels the container itself lacks. Keeping the record in the engine,
// beside what it describes, means a restarted agent rebuilds everything from Docker alone
// (as for normal instances), a lost Redis loses nothing, and the record is swept by the same
// label-driven cleanup as every other instance volume. The learner, root inside the
// instance, cannot reach it.

/** Labels only the agent reads; the orchestrator never sees pool members. */
export const POOL_LABEL = {
  /** On pool members (containers and their engine volumes) and the pool network. */
  member: 'playground.pool',
  /** On a claim record: the id of the pool container that became the instance. */
  claimedContainer: 'playground.claim.container',
  /** On a claim record: the engine volume the pool container brought along. */
  claimedVolume: 'playground.claim.volume',
} as const;

/** A node-local network pool members wait on; never shared with any session. */
export function poolNetworkName(nodeId: string): string {
  return `playground-pool-${nodeId}`;
}

export function poolMemberPrefix(nodeId: string): string {
  return `playground-pool-${nodeId}-`;
}

export function poolVolumeName(memberName: string): string {
  return `${memberName}-docker`;
}

export function claimRecordName(instanceId: string): string {
  return `playground-${instanceId}-claim`;
}

const INSTANCE_CONTAINER = /^\/?playground-([a-z2-7]{26})$/;

/** The instance id a container name stands for (`playground-<instanceId>`), if any. */
export function instanceIdFromContainerName(name: string): string | undefined {
  return INSTANCE_CONTAINER.exec(name)?.[1];
}

/** Which instance a pool container became. */
export interface ClaimRecord {
  instanceId: string;
  sessionId: string;
  hostname: string;
  containerId: string;
  /** The pool member's engine volume, removed with the instance. */
  volume: string;
}

export function claimRecordLabels(nodeId: string, record: ClaimRecord): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.node]: nodeId,
    [LABEL.session]: record.sessionId,
    [LABEL.instance]: record.instanceId,
    [LABEL.hostname]: record.hostname,
    [POOL_LABEL.claimedContainer]: record.containerId,
    [POOL_LABEL.claimedVolume]: record.volume,
  };
}

export function claimRecordFromLabels(labels: Record<string, string> | null | undefined): ClaimRecord | undefined {
  const containerId = labels?.[POOL_LABEL.claimedContainer];
  const instanceId = labels?.[LABEL.instance];
  const sessionId = labels?.[LABEL.session];
  if (!labels || !containerId || !instanceId || !sessionId) return undefined;
  return { instanceId, sessionId, hostname: labels[LABEL.hostname] ?? '', containerId, volume: labels[POOL_LABEL.claimedVolume] ?? '' };
}

/** Every claim record on the node, by the id of the container it names. */
export async function listClaimRecords(docker: Docker, nodeId: string): Promise<Map<string, ClaimRecord>> {
  const volumes = await docker.listVolumes({
    filters: { label: [`${LABEL.managed}=true`, `${LABEL.node}=${nodeId}`, POOL_LABEL.claimedContainer] },
  });
  const out = new Map<string, ClaimRecord>();
  for (const v of volumes.Volumes ?? []) {
    const record = claimRecordFromLabels(v.Labels);
    if (record) out.set(record.containerId, record);
  }
  return out;
}
