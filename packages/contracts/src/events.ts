// Audit and log event names, entity first. Stored in AuditEvent.type and used as pino msg.
export const EVENT = {
  sessionCreated: 'session.created',
  sessionClosed: 'session.closed',
  sessionExpired: 'session.expired',
  sessionLost: 'session.lost',
  instanceCreated: 'instance.created',
  instanceFailed: 'instance.failed',
  instanceDeleted: 'instance.deleted',
  instanceGone: 'instance.gone',
  instanceCpuWarning: 'instance.cpu_warning',
  instanceStoppedAbuse: 'instance.stopped_abuse',
  nodeUp: 'node.up',
  nodeDown: 'node.down',
  nodeDrained: 'node.drained',
  nodeUndrained: 'node.undrained',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];
