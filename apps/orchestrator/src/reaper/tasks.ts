import type { Redis } from 'ioredis';
import type { Db } from '../db.ts';
import type { AgentLinks } from '../gateway/agent-links.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import type { Nodes } from '../nodes.ts';
import type { Sessions } from '../sessions.ts';
import { ExpireSessions } from './expire-sessions.ts';
import { FinishClosingSessions } from './finish-closing-sessions.ts';
import { FinishDeletingInstances } from './finish-deleting-instances.ts';
import { NodeMonitor } from './node-monitor.ts';
import { ResendStaleJobs } from './resend-stale-jobs.ts';
import { SettleCreatingInstances } from './settle-creating-instances.ts';
import type { ReaperTask } from './task.ts';
import { CloseEndedWorkshopSeats, PrepareScheduledWorkshops } from './workshop-tasks.ts';
import type { Seats } from '../workshops/seats.ts';
import type { Workshops } from '../workshops/workshops.ts';

export interface ReaperDeps {
  db: Db;
  redis: Redis;
  queues: NodeQueues;
  sessions: Sessions;
  instances: Instances;
  nodes: Nodes;
  links: Pick<AgentLinks, 'linkDroppedAt'>;
  nodeDownAfterMs: number;
  instanceCreateTimeoutMs: number;
  seats: Pick<Seats, 'prepare'>;
  workshops: Pick<Workshops, 'closeSeats'>;
  workshopPrepareLeadMs: number;
}

/** Every scheduled task, in the order one sweep runs them. */
export function reaperTasks(deps: ReaperDeps): ReaperTask[] {
  return [
    new NodeMonitor(deps.db, deps.redis, deps.nodes, deps.links, deps.nodeDownAfterMs),
    new ExpireSessions(deps.db, deps.sessions),
    new FinishClosingSessions(deps.sessions),
    new FinishDeletingInstances(deps.db, deps.queues, deps.instances),
    new SettleCreatingInstances(deps.db, deps.queues, deps.instances, deps.instanceCreateTimeoutMs),
    new ResendStaleJobs(deps.db, deps.queues, deps.sessions, deps.instances),
    new PrepareScheduledWorkshops(deps.db, deps.seats, deps.workshopPrepareLeadMs),
    new CloseEndedWorkshopSeats(deps.db, deps.workshops),
  ];
}
