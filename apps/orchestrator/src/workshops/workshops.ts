import {
  EVENT,
  PlaygroundError,
  WORKSHOP_CODE_ALPHABET,
  WorkshopCode,
  newCode,
  newRecordId,
  type CreateWorkshopBody,
  type WorkshopListView,
  type WorkshopPublicView,
  type WorkshopTemplate,
  type WorkshopView,
} from '@playground/contracts';
import type { AuditLog } from '../audit.ts';
import type { LabCatalog } from '../labs.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';
import type { Workshop } from '../generated/prisma/client.ts';
import { mayManage, type Caller } from '../instructors/callers.ts';
import type { Sessions } from '../sessions.ts';
import { attendanceCsv, workshopListEntry, workshopStatus, workshopView, type Presence, type WorkshopWithSeats } from './workshop-views.ts';

// Workshops as records: made by an instructor, seen and run by that instructor (or the
// admin), ended with every session they made. Seats are seats.ts; what the instructor does
// with a running class (broadcast, files, commands, help) is classroom.ts.

const DEFAULT_DURATION_MINUTES = 120;

const WITH_SEATS = {
  instructor: true,
  workshopSeats: { include: { session: { include: { instances: { orderBy: { createdAt: 'asc' as const } } } } } },
} as const;

export class Workshops {
  constructor(
    private readonly db: Db,
    private readonly sessions: Sessions,
    private readonly audit: AuditLog,
    private readonly config: Pick<Config, 'PUBLIC_URL' | 'MAX_INSTANCES_PER_SESSION' | 'WORKSHOP_MAX_SEATS'>,
    private readonly labs: Pick<LabCatalog, 'get'>,
  ) {}

  async create(caller: Caller, body: CreateWorkshopBody): Promise<Workshop> {
    if (caller.kind !== 'instructor') throw new PlaygroundError('forbidden', 'Workshops belong to an instructor; create them with an instructor\'s token or sign-in.');
    const { template, lab } = await this.templateOf(body);
    this.checkTemplate(template);
    if (body.seats > this.config.WORKSHOP_MAX_SEATS) {
      throw new PlaygroundError('bad_request', `A workshop may have at most ${this.config.WORKSHOP_MAX_SEATS} seats here.`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const workshop = await this.db.workshop.create({
          data: {
            id: newRecordId(),
            code: newCode(WORKSHOP_CODE_ALPHABET, 8),
            instructorId: caller.instructor.id,
            title: body.title,
            seats: body.seats,
            template,
            labSlug: lab?.slug ?? null,
            labLanguage: lab?.language ?? null,
            startsAt: body.startsAt ? new Date(body.startsAt) : null,
            durationMinutes: body.durationMinutes ?? DEFAULT_DURATION_MINUTES,
          },
        });
        await this.audit.record(EVENT.workshopCreated, { data: { workshopId: workshop.id, instructorId: caller.instructor.id, seats: body.seats } });
        return workshop;
      } catch (error) {
        // A code already taken (one in 10^11): draw another.
        if ((error as { code?: string }).code !== 'P2002' || attempt >= 3) throw error;
      }
    }
  }

  /** The instances each seat gets: the body's own, or those of the lab it follows (one or the other). */
  private async templateOf(body: CreateWorkshopBody): Promise<{ template: WorkshopTemplate; lab?: { slug: string; language: string } }> {
    if (!body.lab) return { template: body.template ?? { instances: [{}] } };
    if (body.template) throw new PlaygroundError('bad_request', 'Give either a template or a lab, not both: a lab brings its own template.');
    const lab = await this.labs.get(body.lab.slug, body.lab.language ? [body.lab.language] : []);
    if (!lab || (body.lab.language && lab.language !== body.lab.language)) {
      throw new PlaygroundError('bad_request', `There is no lab "${body.lab.slug}"${body.lab.language ? ` in ${body.lab.language}` : ''}.`);
    }
    const instances = lab.template.instances.map(({ hostname, setup, files }) => ({ hostname, setup, files }));
    return { template: { instances }, lab: { slug: lab.slug, language: lab.language } };
  }

  private checkTemplate(template: WorkshopTemplate): void {
    const max = this.config.MAX_INSTANCES_PER_SESSION;
    if (template.instances.length > max) {
      throw new PlaygroundError('bad_request', `The template has ${template.instances.length} instances; this playground allows ${max} per session.`);
    }
    const names = template.instances.map((spec, index) => spec.hostname ?? `node${index + 1}`);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw new PlaygroundError('bad_request', `The hostname "${twice}" is used twice in the template.`);
    if (template.instances.some((spec) => spec.image !== undefined)) {
      throw new PlaygroundError('bad_request', 'Choosing an image per instance is not available on this playground yet: every instance runs the playground\'s instance image. Leave "image" out.');
    }
  }

  /** The workshop with its seats, if the caller may run it; 404 otherwise (another's workshop is not confirmed to exist). */
  async requireManaged(caller: Caller, id: string): Promise<WorkshopWithSeats> {
    const workshop = await this.db.workshop.findUnique({ where: { id }, include: WITH_SEATS });
    if (!workshop || !mayManage(caller, workshop)) throw new PlaygroundError('not_found', 'No such workshop.');
    return workshop;
  }

  /** Same, and not ended: for everything that changes a running class. */
  async requireRunning(caller: Caller, id: string): Promise<WorkshopWithSeats> {
    const workshop = await this.requireManaged(caller, id);
    if (workshop.endedAt) throw new PlaygroundError('workshop_ended', 'This workshop has ended.');
    return workshop;
  }

  async view(caller: Caller, id: string, presence: Presence): Promise<WorkshopView> {
    return workshopView(await this.requireManaged(caller, id), this.config.PUBLIC_URL, presence);
  }

  async list(caller: Caller): Promise<WorkshopListView> {
    const rows = await this.db.workshop.findMany({
      where: caller.kind === 'admin' ? {} : { instructorId: caller.instructor.id },
      orderBy: { createdAt: 'desc' },
      take: 200,
      include: WITH_SEATS,
    });
    return { workshops: rows.map((row) => workshopListEntry(row, this.config.PUBLIC_URL)) };
  }

  /** What the join page shows: nothing about other learners. */
  async byCode(code: string): Promise<WorkshopPublicView> {
    const workshop = await this.findByCode(code);
    const taken = await this.db.workshopSeat.count({ where: { workshopId: workshop.id, joinedAt: { not: null } } });
    return {
      title: workshop.title,
      status: workshopStatus(workshop),
      startsAt: workshop.startsAt?.toISOString() ?? null,
      instructor: workshop.instructor.name,
      open: !workshop.endedAt && taken < workshop.seats,
    };
  }

  async findByCode(code: string) {
    const parsed = WorkshopCode.safeParse(code);
    const workshop = parsed.success ? await this.db.workshop.findUnique({ where: { code: parsed.data }, include: { instructor: true } }) : null;
    if (!workshop) throw new PlaygroundError('not_found', 'There is no workshop with that code. Check the link your instructor gave you.');
    return workshop;
  }

  /** More time for one learner or every learner (from their current end, or from now if later). */
  async extend(caller: Caller, id: string, minutes: number, learnerId?: string): Promise<void> {
    const workshop = await this.requireRunning(caller, id);
    const seats = workshop.workshopSeats.filter((seat) => seat.joinedAt && (learnerId === undefined || seat.id === learnerId));
    if (learnerId !== undefined && seats.length === 0) throw new PlaygroundError('not_found', 'No such learner in this workshop.');
    const now = Date.now();
    for (const seat of seats) {
      const from = Math.max(now, seat.session.expiresAt.getTime());
      await this.sessions.extendTo(seat.sessionId, new Date(from + minutes * 60_000));
    }
  }

  async endLearner(caller: Caller, id: string, learnerId: string): Promise<void> {
    const workshop = await this.requireManaged(caller, id);
    const seat = workshop.workshopSeats.find((s) => s.id === learnerId && s.joinedAt);
    if (!seat) throw new PlaygroundError('not_found', 'No such learner in this workshop.');
    if (seat.session.status === 'active') await this.sessions.beginClose(seat.session, 'closed');
  }

  /** Ends the workshop: every seat's session closes, which removes its containers, networks and volumes. */
  async end(caller: Caller, id: string): Promise<void> {
    const workshop = await this.requireManaged(caller, id);
    if (!workshop.endedAt) await this.db.workshop.updateMany({ where: { id, endedAt: null }, data: { endedAt: new Date() } });
    await this.closeSeats(workshop);
    await this.audit.record(EVENT.workshopEnded, { data: { workshopId: id } });
  }

  /** Closes what is still open of an ended workshop (the reaper repeats it, so nothing stays behind). */
  async closeSeats(workshop: WorkshopWithSeats): Promise<void> {
    for (const seat of workshop.workshopSeats) {
      if (seat.session.status === 'active') await this.sessions.beginClose(seat.session, 'closed');
    }
  }

  async attendance(caller: Caller, id: string, connectedMs: (seat: { sessionId: string; connectedMs: bigint }) => number): Promise<string> {
    const workshop = await this.requireManaged(caller, id);
    return attendanceCsv(workshop.workshopSeats, connectedMs);
  }
}
