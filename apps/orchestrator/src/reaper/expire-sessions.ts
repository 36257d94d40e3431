import type { Db } from '../db.ts';
import type { Sessions } from '../sessions.ts';
import type { ReaperTask } from './task.ts';

/** Active sessions past expiresAt → closing, with their close job sent (audit `session.expired`). */
export class ExpireSessions implements ReaperTask {
  readonly name = 'expire-sessions';

  constructor(
    private readonly db: Db,
    private readonly sessions: Sessions,
  ) {}

  async run(now: Date): Promise<void> {
    const due = await this.db.session.findMany({
      where: { status: 'active', expiresAt: { lte: now } },
      select: { id: true, nodeId: true },
      take: 100,
    });
    for (const session of due) await this.sessions.beginClose(session, 'expired');
  }
}
