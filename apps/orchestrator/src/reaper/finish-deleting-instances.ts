import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import type { ReaperTask } from './task.ts';

/** Deleting instances whose delete job completed → deleted. */
export class FinishDeletingInstances implements ReaperTask {
  readonly name = 'finish-deleting-instances';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly instances: Instances,
  ) {}

  async run(): Promise<void> {
    const deleting = await this.db.instance.findMany({
      where: { status: 'deleting' },
      select: { id: true, sessionId: true, nodeId: true },
      take: 200,
    });
    for (const instance of deleting) {
      const { state } = await this.queues.jobState(instance.nodeId, jobId.deleteInstance(instance.id));
      if (state === 'completed') await this.instances.finishDelete(instance);
    }
  }
}
