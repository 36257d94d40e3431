import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import type { ReaperTask } from './task.ts';

/**
 * Instances still `creating` after their request stopped waiting (timeout, orchestrator
 * restart): take the outcome from the create job; a job that never reached the queue fails.
 */
export class SettleCreatingInstances implements ReaperTask {
  readonly name = 'settle-creating-instances';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly instances: Instances,
    private readonly createTimeoutMs: number,
  ) {}

  async run(now: Date): Promise<void> {
    const stale = await this.db.instance.findMany({
      where: { status: 'creating', createdAt: { lte: new Date(now.getTime() - this.createTimeoutMs) } },
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
