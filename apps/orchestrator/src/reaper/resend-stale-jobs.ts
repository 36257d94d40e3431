import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Instances } from '../instances.ts';
import type { NodeQueues } from '../node-queues.ts';
import type { Sessions } from '../sessions.ts';
import type { ReaperTask } from './task.ts';

/**
 * Close and delete commands must eventually happen. A job that is missing (lost before it
 * was added) or failed for good (retries used up) is sent again, at most once per cool-down.
 * Waiting jobs are left alone: their node will take them when it is back.
 */
export class ResendStaleJobs implements ReaperTask {
  readonly name = 'resend-stale-jobs';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly sessions: Sessions,
    private readonly instances: Instances,
    private readonly coolDownMs = 30_000,
  ) {}

  private async stale(nodeId: string, id: string, now: Date): Promise<boolean> {
    const { state, job } = await this.queues.jobState(nodeId, id);
    if (state === 'missing') return true;
    if (state !== 'failed' || !job) return false;
    if (now.getTime() - (job.finishedOn ?? 0) < this.coolDownMs) return false;
    await job.remove();
    return true;
  }

  async run(now: Date): Promise<void> {
    const closing = await this.db.session.findMany({ where: { status: 'closing' }, select: { id: true, nodeId: true }, take: 200 });
    for (const session of closing) {
      if (session.nodeId && (await this.stale(session.nodeId, jobId.closeSession(session.id), now))) {
        await this.sessions.sendCloseJob(session);
      }
    }
    const deleting = await this.db.instance.findMany({
      where: { status: 'deleting' },
      select: { id: true, sessionId: true, nodeId: true },
      take: 200,
    });
    for (const instance of deleting) {
      if (await this.stale(instance.nodeId, jobId.deleteInstance(instance.id), now)) await this.instances.sendDeleteJob(instance);
    }
  }
}
