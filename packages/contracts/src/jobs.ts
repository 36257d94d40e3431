import { z } from 'zod';
import { RequestId } from './request-id.ts';
import { INSTANCE_HOSTNAME, InstanceId, SessionId } from './ids.ts';

// Lifecycle commands travel as BullMQ jobs on one queue per node. Job ids are derived
// from the entity so that a retried or re-sent command is the same job (idempotent).

export function nodeQueueName(nodeId: string): string {
  return `node-${nodeId}`;
}

export const InstanceLimits = z.object({
  cpus: z.number().positive(),
  memoryBytes: z.number().int().positive(),
  pids: z.number().int().positive(),
});
export type InstanceLimits = z.infer<typeof InstanceLimits>;

/** Every job may carry the id of the request that sent it (request-id.ts), for the agent's logs. */
const Traced = { requestId: RequestId.optional() };

export const CreateInstanceJob = z.object({
  ...Traced,
  sessionId: SessionId,
  instanceId: InstanceId,
  hostname: z.string().regex(INSTANCE_HOSTNAME),
  limits: InstanceLimits,
});
export type CreateInstanceJob = z.infer<typeof CreateInstanceJob>;

export const CreateInstanceResult = z.object({
  instanceId: InstanceId,
  containerId: z.string(),
  ip: z.string(),
});
export type CreateInstanceResult = z.infer<typeof CreateInstanceResult>;

export const DeleteInstanceJob = z.object({ ...Traced, sessionId: SessionId, instanceId: InstanceId });
export type DeleteInstanceJob = z.infer<typeof DeleteInstanceJob>;

/** Removes everything a session made on the node: instances, their volumes, its network. */
export const CloseSessionJob = z.object({ ...Traced, sessionId: SessionId });
export type CloseSessionJob = z.infer<typeof CloseSessionJob>;

export const JOB = {
  createInstance: 'instance.create',
  deleteInstance: 'instance.delete',
  closeSession: 'session.close',
} as const;

export const jobId = {
  createInstance: (instanceId: string) => `instance.create-${instanceId}`,
  deleteInstance: (instanceId: string) => `instance.delete-${instanceId}`,
  closeSession: (sessionId: string) => `session.close-${sessionId}`,
};

/** Redis key an agent refreshes with its NodeAnnouncement; it expires when the agent stops. */
export function nodeHeartbeatKey(nodeId: string): string {
  return `playground:node:${nodeId}:heartbeat`;
}
