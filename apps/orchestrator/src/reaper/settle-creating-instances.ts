import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import { REDIS_CALL_TIMEOUT_MS } from '../node-queues.ts';
import type { ReaperTask } from './task.ts';

/**
 * The recovery of instance creation: instances still `creating` once the grace is over are
 * settled from their create job by the same Instances.settleCreate the waiting request uses,
 * whether or not a request still waits (it may have died with a previous orchestrator
 * process, or timed out). A job that is
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
      const outcome = await this.queues.outcome(instance.nodeId, jobId.createInstance(instance.id));
      if (outcome.state === 'missing') await this.settleMissingJob(instance, now);
      // An unreadable result fails the instance inside; the error is the request's to show.
      else await this.instances.settleCreate(instance.id, outcome).catch(() => undefined);
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
