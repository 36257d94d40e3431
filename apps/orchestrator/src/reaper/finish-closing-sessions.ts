import { jobId } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { NodeQueues } from '../node-queues.ts';
import type { Sessions } from '../sessions.ts';
import type { ReaperTask } from './task.ts';

/** Closing sessions whose close job completed → ended (their instances deleted with them). */
export class FinishClosingSessions implements ReaperTask {
  readonly name = 'finish-closing-sessions';

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly sessions: Sessions,
  ) {}

  async run(): Promise<void> {
    const closing = await this.db.session.findMany({ where: { status: 'closing' }, select: { id: true, nodeId: true }, take: 200 });
    for (const session of closing) {
      const state = session.nodeId ? (await this.queues.jobState(session.nodeId, jobId.closeSession(session.id))).state : 'completed';
      if (state === 'completed') await this.sessions.finishClose(session.id);
    }
  }
}
