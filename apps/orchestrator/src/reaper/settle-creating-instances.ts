import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import { REDIS_CALL_TIMEOUT_MS } from '../node-queues.ts';
import type { ReaperTask } from './task.ts';

/**
 * Instances still `creating`: take the outcome from the create job, whether or not a
 * request still waits for it (its request may have died with a previous orchestrator
 * process, or timed out). Completed → running, failed → failed: both are guarded by the
 * `creating` status, so the waiting request and this task never disagree. A job that is
 * missing once the grace is over never reached the queue (its add is time-boxed well
 * within the grace) → failed. Waiting and active jobs are left to finish.
 */
export const SETTLE_GRACE_MS = REDIS_CALL_TIMEOUT_MS * 3;

export class SettleCreatingInstances implements ReaperTask {
  readonly name = 'settle-creating-instances';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly instances: Instances,
    private readonly graceMs = SETTLE_GRACE_MS,
  ) {}

  async run(now: Date): Promise<void> {
    const stale = await this.db.instance.findMany({
      where: { status: 'creating', createdAt: { lte: new Date(now.getTime() - this.graceMs) } },
      select: { id: true, nodeId: true },
      take: 100,
    });
    for (const instance of stale) {
      const { state, job } = await this.queues.jobState(instance.nodeId, jobId.createInstance(instance.id));
      if (state === 'completed') await this.instances.markRunning(instance.id, job?.returnvalue).catch(() => undefined);
      else if (state === 'failed') await this.instances.markFailed(instance.id, job?.failedReason ?? 'failed');
      else if (state === 'missing') await this.instances.markFailed(instance.id, 'the create command was lost');
    }
  }
}
