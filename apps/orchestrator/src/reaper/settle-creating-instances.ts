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
 * missing once the grace is over never reached the queue (the orchestrator died between
 * recording the instance and adding its job): it is sent again, under the same job id, so
 * the command is neither lost nor run twice; only when the whole create budget is spent
 * does the instance become failed. Waiting and active jobs are left to finish.
 */
export const SETTLE_GRACE_MS = REDIS_CALL_TIMEOUT_MS * 3;

export class SettleCreatingInstances implements ReaperTask {
  readonly name = 'settle-creating-instances';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly instances: Instances,
    /** After this long without a create job, give up: the learner was told it timed out. */
    private readonly createBudgetMs: number,
    private readonly graceMs = SETTLE_GRACE_MS,
  ) {}

  async run(now: Date): Promise<void> {
    const stale = await this.db.instance.findMany({
      where: { status: 'creating', createdAt: { lte: new Date(now.getTime() - this.graceMs) } },
      select: { id: true, nodeId: true, sessionId: true, hostname: true, createdAt: true },
      take: 100,
    });
    for (const instance of stale) {
      const { state, job } = await this.queues.jobState(instance.nodeId, jobId.createInstance(instance.id));
      if (state === 'completed') await this.instances.markRunning(instance.id, job?.returnvalue).catch(() => undefined);
      else if (state === 'failed') await this.instances.markFailed(instance.id, job?.failedReason ?? 'failed');
      else if (state === 'missing') await this.settleMissingJob(instance, now);
    }
  }

  private async settleMissingJob(
    instance: { id: string; nodeId: string; sessionId: string; hostname: string; createdAt: Date },
    now: Date,
  ): Promise<void> {
    if (now.getTime() - instance.createdAt.getTime() > this.createBudgetMs) {
      await this.instances.markFailed(instance.id, 'the node did not create it in time');
      return;
    }
    await this.instances.resendCreateJob(instance);
  }
}
