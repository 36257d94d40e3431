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
  /** A node's agent token was rotated (every earlier one revoked) by an operator. */
  nodeCredentialRotated: 'node.credential_rotated',
  /** An agent with a valid token was refused: its node already has a live link. */
  nodeConnectionRefused: 'node.connection_refused',
  instructorCreated: 'instructor.created',
  workshopCreated: 'workshop.created',
  workshopPrepared: 'workshop.prepared',
  /** Prepare found less room than seats (the scheduler prepares what fits and says so here). */
  workshopShortOfCapacity: 'workshop.short_of_capacity',
  workshopJoined: 'workshop.joined',
  workshopHelpGranted: 'workshop.help_granted',
  workshopEnded: 'workshop.ended',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];
