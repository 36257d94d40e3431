import { createHash } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { EVENT, PlaygroundError, newRecordId, type WorkshopTemplate } from '@playground/contracts';
import type { SessionTemplate } from '@playground/labs';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { Workshop, WorkshopSeat } from '../generated/prisma/client.ts';
import { KeyedMutex } from '../keyed-mutex.ts';
import type { Logger } from '../logger.ts';
import type { Placement } from '../placement.ts';
import type { TemplateProvisioner } from '../session-templates.ts';
import type { Sessions } from '../sessions.ts';

// A workshop's seats. A seat is one session holding the workshop's instances. `prepare`
// makes the missing seats ahead of time on nodes chosen together (Placement.planSeats), so
// their instances hold the room before any anonymous session can take it, and so a class
// of 30 is spread over the nodes. `join` hands a learner a ready seat (a prompt at once),
// else one still being made, else a new one, and the same browser its own seat again.

/**
 * Prepared seats being made at once per node. A class of 30 queued at once would spend its
 * instances' start limit waiting in the node's queue; made a few at a time, each start is
 * timed from when it really begins. A learner's seat made on the spot never waits here.
 */
const PREPARE_LANE_PER_NODE = 4;

/** Unclaimed prepared seats live this much longer than the class, so a late learner still finds one. */
const PREPARED_SEAT_GRACE_MINUTES = 30;

export type JoinOutcome = { seat: WorkshopSeat; prepared: boolean; returning: boolean };

/** What a seat's session is made from: the workshop's instances as a session template. */
export function seatTemplate(workshop: Pick<Workshop, 'id' | 'title'>, template: WorkshopTemplate): SessionTemplate {
  return {
    id: `workshop-${workshop.id}`,
    title: workshop.title,
    description: 'A workshop seat',
    instances: template.instances.map((spec, index) => ({ hostname: spec.hostname ?? `node${index + 1}`, setup: spec.setup, files: spec.files ?? [] })),
  };
}

export const learnerKeyHash = (key: string): string => createHash('sha256').update(key).digest('hex');

export class Seats {
  private readonly serial = new KeyedMutex();
  private readonly prepareLanes = new Map<string, LimitFunction>();

  constructor(
    private readonly db: Db,
    private readonly sessions: Sessions,
    private readonly placement: Placement,
    private readonly provisioner: Pick<TemplateProvisioner, 'realise'>,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly joins?: { inc(labels: { seat: 'prepared' | 'new' }): void },
  ) {}

  /**
   * Makes every seat not made yet. With `partial` false (the instructor asked), a cluster
   * that cannot hold them all is a 409 naming how many it can, and nothing is made; with
   * `partial` (the scheduler), what fits is made and the shortfall is recorded.
   */
  async prepare(workshop: Workshop, options: { partial: boolean }): Promise<{ made: number; guaranteed: number }> {
    return this.serial.run(`workshop:${workshop.id}`, async () => {
      const template = workshop.template as WorkshopTemplate;
      const existing = await this.db.workshopSeat.count({ where: { workshopId: workshop.id, state: { not: 'failed' } } });
      const missing = Math.max(0, workshop.seats - existing);
      const plan = missing > 0 ? await this.placement.planSeats(missing, template.instances.length) : [];
      const guaranteed = existing + plan.length;
      if (plan.length < missing) {
        const message = `No capacity for every seat: the cluster can hold ${guaranteed} of ${workshop.seats} seats right now (each seat is ${template.instances.length} instance${template.instances.length === 1 ? '' : 's'}). Lower the seats, add nodes, or prepare again later.`;
        if (!options.partial) throw new PlaygroundError('insufficient_capacity', message, { details: { guaranteed } });
        await this.audit.record(EVENT.workshopShortOfCapacity, { data: { workshopId: workshop.id, guaranteed, seats: workshop.seats } });
      }
      const startsAt = Math.max(Date.now(), workshop.startsAt?.getTime() ?? 0);
      const expiresAt = new Date(startsAt + (workshop.durationMinutes + PREPARED_SEAT_GRACE_MINUTES) * 60_000);
      for (const nodeId of plan) {
        const session = await this.sessions.createSeat(workshop.id, nodeId, expiresAt);
        const seat = await this.db.workshopSeat.create({ data: { id: newRecordId(), workshopId: workshop.id, sessionId: session.id } });
        this.provision(seat, workshop, template, this.laneOf(nodeId));
      }
      await this.db.workshop.update({ where: { id: workshop.id }, data: { preparedAt: new Date() } });
      if (plan.length > 0) await this.audit.record(EVENT.workshopPrepared, { data: { workshopId: workshop.id, seats: plan.length } });
      return { made: plan.length, guaranteed };
    });
  }

  /** Takes a seat for a learner; `key` is their browser's key (the learner cookie). */
  async join(workshop: Workshop, name: string, key: string): Promise<JoinOutcome> {
    if (workshop.endedAt) throw new PlaygroundError('workshop_ended', 'This workshop has ended.');
    const keyHash = learnerKeyHash(key);
    const outcome = await this.serial.run(`workshop:${workshop.id}`, () => this.takeSeat(workshop, name, keyHash));
    if (!outcome.returning) {
      this.joins?.inc({ seat: outcome.prepared ? 'prepared' : 'new' });
      await this.audit.record(EVENT.workshopJoined, { sessionId: outcome.seat.sessionId, data: { workshopId: workshop.id, prepared: outcome.prepared } });
    }
    return outcome;
  }

  private async takeSeat(workshop: Workshop, name: string, keyHash: string): Promise<JoinOutcome> {
    const mine = await this.db.workshopSeat.findUnique({
      where: { workshopId_learnerKeyHash: { workshopId: workshop.id, learnerKeyHash: keyHash } },
      include: { session: true },
    });
    if (mine && mine.session.status === 'active') return { seat: mine, prepared: false, returning: true };
    // A seat whose session ended (the instructor ended it) lets the learner start again, once more a new one.
    if (mine) await this.db.workshopSeat.update({ where: { id: mine.id }, data: { learnerKeyHash: null } });

    const learner = { learnerName: name, learnerKeyHash: keyHash, joinedAt: new Date(), lastActivityAt: new Date() };
    const expiresAt = new Date(Date.now() + workshop.durationMinutes * 60_000);
    // Ready seats first (a prompt at once), then seats still being made (their prompt comes soon).
    for (const state of ['ready', 'preparing'] as const) {
      const free = await this.db.workshopSeat.findFirst({
        where: { workshopId: workshop.id, state, joinedAt: null, session: { status: 'active' } },
        orderBy: { createdAt: 'asc' },
      });
      if (!free) continue;
      const seat = await this.db.workshopSeat.update({ where: { id: free.id }, data: { ...learner, state: state === 'ready' ? 'taken' : 'preparing' } });
      await this.db.session.update({ where: { id: seat.sessionId }, data: { expiresAt } });
      return { seat, prepared: true, returning: false };
    }

    const joined = await this.db.workshopSeat.count({ where: { workshopId: workshop.id, joinedAt: { not: null }, session: { status: { in: ['active', 'closing'] } } } });
    if (joined >= workshop.seats) throw new PlaygroundError('workshop_full', `Every seat of this workshop (${workshop.seats}) is taken. Ask your instructor for room.`);
    const template = workshop.template as WorkshopTemplate;
    const [nodeId] = await this.placement.planSeats(1, template.instances.length);
    if (!nodeId) throw new PlaygroundError('no_capacity', 'No capacity: no machine has room for your seat right now. Please try again in a minute.', { retryAfterSeconds: 30 });
    const session = await this.sessions.createSeat(workshop.id, nodeId, expiresAt);
    const seat = await this.db.workshopSeat.create({ data: { id: newRecordId(), workshopId: workshop.id, sessionId: session.id, ...learner } });
    this.provision(seat, workshop, template);
    return { seat, prepared: false, returning: false };
  }

  /**
   * A prepared seat that failed (on a loaded node an instance may miss its start limit) is
   * made again, so the class still finds every seat ready; at most as many replacements as
   * the workshop has seats, so a node that fails every start does not loop.
   */
  private async replaceFailed(workshopId: string): Promise<void> {
    const workshop = await this.db.workshop.findUnique({ where: { id: workshopId } });
    if (!workshop || workshop.endedAt) return;
    const failed = await this.db.workshopSeat.count({ where: { workshopId, state: 'failed' } });
    if (failed > workshop.seats) return;
    const { made } = await this.prepare(workshop, { partial: true });
    if (made > 0) this.logger.info({ workshopId, made }, 'workshop.seats_replaced');
  }

  /**
   * Makes a seat's instances and runs their setup, in the background. A prepared seat
   * becomes `ready` (or `taken` if a learner took it meanwhile); one that fails is closed,
   * which gives its room back.
   */
  private laneOf(nodeId: string): LimitFunction {
    let lane = this.prepareLanes.get(nodeId);
    if (!lane) this.prepareLanes.set(nodeId, (lane = pLimit(PREPARE_LANE_PER_NODE)));
    return lane;
  }

  private provision(seat: WorkshopSeat, workshop: Workshop, template: WorkshopTemplate, lane?: LimitFunction): void {
    const realise = () => this.provisioner.realise(seat.sessionId, seatTemplate(workshop, template));
    (lane ? lane(realise) : realise())
      .then(async () => {
        await this.db.workshopSeat.updateMany({ where: { id: seat.id, state: 'preparing', joinedAt: null }, data: { state: 'ready' } });
        await this.db.workshopSeat.updateMany({ where: { id: seat.id, state: 'preparing', joinedAt: { not: null } }, data: { state: 'taken' } });
      })
      .catch(async (error: unknown) => {
        this.logger.warn({ workshopId: workshop.id, sessionId: seat.sessionId, err: (error as Error)?.message }, 'workshop.seat_failed');
        // A learner already on it keeps the session (and sees the instance's error); an empty seat is given back.
        const failed = await this.db.workshopSeat.updateMany({ where: { id: seat.id, joinedAt: null }, data: { state: 'failed' } });
        await this.db.workshopSeat.updateMany({ where: { id: seat.id, joinedAt: { not: null } }, data: { state: 'taken' } });
        const session = failed.count > 0 ? await this.db.session.findUnique({ where: { id: seat.sessionId } }) : null;
        if (session) await this.sessions.beginClose(session, 'closed');
        if (failed.count > 0) await this.replaceFailed(workshop.id);
      })
      .catch((error: unknown) => {
        this.logger.error({ workshopId: workshop.id, sessionId: seat.sessionId, err: (error as Error)?.message }, 'workshop.seat_release_failed');
      });
  }
}
