import { PlaygroundError } from '@playground/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import type { Db } from '../db.ts';
import type { WatchAccess } from '../gateway/terminal-gateway.ts';
import { mayManage, type Callers } from '../instructors/callers.ts';

// Who may watch a learner's terminal: the instructor of that learner's workshop (signed in,
// or with their token) or the admin. They may type only while the learner allows it.

export class WorkshopWatchAccess implements WatchAccess {
  constructor(
    private readonly db: Db,
    private readonly callers: Callers,
  ) {}

  async authorize(request: { headers: IncomingHttpHeaders; method: string }, instanceId: string, token: string | undefined) {
    const caller = await this.callers.require(request, token);
    const instance = await this.db.instance.findUnique({
      where: { id: instanceId },
      include: { session: { include: { seat: { include: { workshop: true } } } } },
    });
    const seat = instance?.session.seat;
    if (!instance || !seat || !seat.joinedAt || !mayManage(caller, seat.workshop)) {
      throw new PlaygroundError('forbidden', 'You may watch only the terminals of learners in your own workshops.');
    }
    if (instance.session.status !== 'active') throw new PlaygroundError('session_ended', "This learner's session has ended.");
    if (instance.status !== 'running') throw new PlaygroundError('bad_request', `This instance is not running (it is ${instance.status}).`);
    return { sessionId: instance.sessionId, nodeId: instance.nodeId, canType: seat.help === 'granted' };
  }
}
