import type { InstanceStatus, SessionStatus } from './generated/prisma/enums.ts';

// What each status of the record means for the rules that count or keep things. Every query
// that asks "does this hold a slot", "does this count against the limit" or "should the node
// still have this" uses these lists, so a new status is classified in one place.

/** Instances that count against their session's MAX_INSTANCES_PER_SESSION. */
export const LIVE_INSTANCE_STATUSES = ['creating', 'running'] as const satisfies readonly InstanceStatus[];

/** Instances that hold a slot on their node: the live ones, and deleting ones until their node has removed them. */
export const SLOT_INSTANCE_STATUSES = ['creating', 'running', 'deleting'] as const satisfies readonly InstanceStatus[];

/** Sessions whose containers their node must keep (a closing one until its close job has run). */
export const SESSION_STATUSES_KEPT_ON_NODE = ['active', 'closing'] as const satisfies readonly SessionStatus[];
