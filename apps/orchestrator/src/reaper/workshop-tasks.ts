import type { Db } from '../db.ts';
import type { Seats } from '../workshops/seats.ts';
import type { Workshops } from '../workshops/workshops.ts';
import type { ReaperTask } from './task.ts';

/** Workshops starting within the lead time get their seats prepared by themselves (what fits; a shortfall is audited). */
export class PrepareScheduledWorkshops implements ReaperTask {
  readonly name = 'prepare-scheduled-workshops';

  constructor(
    private readonly db: Db,
    private readonly seats: Pick<Seats, 'prepare'>,
    private readonly leadMs: number,
  ) {}

  async run(now: Date): Promise<void> {
    const due = await this.db.workshop.findMany({
      where: { endedAt: null, preparedAt: null, startsAt: { not: null, lte: new Date(now.getTime() + this.leadMs) } },
      take: 20,
    });
    for (const workshop of due) await this.seats.prepare(workshop, { partial: true });
  }
}

/** An ended workshop leaves nothing open: seats whose close did not go through (Redis down, a restart) are closed again. */
export class CloseEndedWorkshopSeats implements ReaperTask {
  readonly name = 'close-ended-workshop-seats';

  constructor(
    private readonly db: Db,
    private readonly workshops: Pick<Workshops, 'closeSeats'>,
  ) {}

  async run(): Promise<void> {
    const open = await this.db.workshop.findMany({
      where: { endedAt: { not: null }, workshopSeats: { some: { session: { status: 'active' } } } },
      include: { instructor: true, workshopSeats: { include: { session: { include: { instances: true } } } } },
      take: 20,
    });
    for (const workshop of open) await this.workshops.closeSeats(workshop);
  }
}
