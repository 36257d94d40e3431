import type { Sessions } from '../sessions.ts';
import type { ReaperTask } from './task.ts';

/** Closing sessions whose close job completed → ended (their instances deleted with them). */
export class FinishClosingSessions implements ReaperTask {
  readonly name = 'finish-closing-sessions';

  constructor(private readonly sessions: Sessions) {}

  async run(): Promise<void> {
    await this.sessions.finishClosed();
  }
}
