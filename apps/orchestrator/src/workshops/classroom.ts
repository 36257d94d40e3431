import path from 'node:path';
import pLimit from 'p-limit';
import { EVENT, PlaygroundError, type LearnerResult, type LearnerWorkshopView } from '@playground/contracts';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { TerminalActivity } from '../gateway/terminal-gateway.ts';
import type { WorkshopSeat } from '../generated/prisma/client.ts';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Caller } from '../instructors/callers.ts';
import type { Logger } from '../logger.ts';
import type { Presence, SeatWithSession } from './workshop-views.ts';
import type { Workshops } from './workshops.ts';

// A running class, as the instructor runs it and each learner sees it: who is connected and
// active (fed by the terminal gateway), the broadcast banner, a file or a command for every
// learner's first instance, and help: the instructor asks, the learner allows or revokes,
// and the instructor's watching terminals may type only while allowed.

/** lastActivityAt is written at most this often per learner. */
const ACTIVITY_WRITE_INTERVAL_MS = 15_000;
/** Learners handled at once by a broadcast file or command: bounded, so a class of 100 does not flood one node. */
const FAN_OUT = 8;

interface Connection {
  terminals: number;
  since: number;
  lastWrite: number;
}

export interface WatchControl {
  setWatcherControl(sessionId: string, canType: boolean, reason: string): void;
  watched(sessionId: string): boolean;
}

export class Classroom implements TerminalActivity, Presence {
  private readonly connections = new Map<string, Connection>();

  constructor(
    private readonly db: Db,
    private readonly workshops: Workshops,
    private readonly commands: Pick<InstanceCommands, 'exec' | 'upload'>,
    private readonly terminals: WatchControl,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
  ) {}

  // ─── Presence (from the terminal gateway) ──────────────────────────────────────────────

  connected(sessionId: string): boolean {
    return (this.connections.get(sessionId)?.terminals ?? 0) > 0;
  }

  /** Time connected: what was recorded, plus the connection open now. */
  connectedMs(seat: Pick<WorkshopSeat, 'sessionId' | 'connectedMs'>): number {
    const open = this.connections.get(seat.sessionId);
    return Number(seat.connectedMs) + (open && open.terminals > 0 ? Date.now() - open.since : 0);
  }

  learnerConnected(sessionId: string): void {
    const connection = this.connections.get(sessionId);
    if (connection) connection.terminals++;
    else this.connections.set(sessionId, { terminals: 1, since: Date.now(), lastWrite: 0 });
  }

  learnerDisconnected(sessionId: string): void {
    const connection = this.connections.get(sessionId);
    if (!connection || --connection.terminals > 0) return;
    this.connections.delete(sessionId);
    const ms = Date.now() - connection.since;
    this.db.workshopSeat
      .updateMany({ where: { sessionId, joinedAt: { not: null } }, data: { connectedMs: { increment: ms } } })
      .catch((error: unknown) => this.logger.warn({ sessionId, err: (error as Error).message }, 'workshop.presence_write_failed'));
  }

  learnerTyped(sessionId: string): void {
    const connection = this.connections.get(sessionId);
    const now = Date.now();
    if (!connection || now - connection.lastWrite < ACTIVITY_WRITE_INTERVAL_MS) return;
    connection.lastWrite = now;
    this.db.workshopSeat
      .updateMany({ where: { sessionId, joinedAt: { not: null } }, data: { lastActivityAt: new Date(now) } })
      .catch((error: unknown) => this.logger.warn({ sessionId, err: (error as Error).message }, 'workshop.presence_write_failed'));
  }

  // ─── The instructor's side ─────────────────────────────────────────────────────────────

  async broadcast(caller: Caller, workshopId: string, message: string): Promise<{ delivered: number }> {
    const workshop = await this.workshops.requireRunning(caller, workshopId);
    await this.db.workshop.update({ where: { id: workshopId }, data: { broadcast: message, broadcastAt: new Date() } });
    return { delivered: this.activeLearners(workshop.workshopSeats).length };
  }

  /** Writes the file into every active learner's first instance (a relative path is under /root). */
  async pushFile(caller: Caller, workshopId: string, file: { path: string; content: string }): Promise<LearnerResult[]> {
    const workshop = await this.workshops.requireRunning(caller, workshopId);
    const target = instancePath(file.path);
    const data = Buffer.from(file.content, 'base64');
    return this.forEachLearner(workshop.workshopSeats, async (seat, instanceId) => {
      await this.commands.upload(seat.sessionId, instanceId, { directory: path.posix.dirname(target), fileName: path.posix.basename(target), data });
      return {};
    });
  }

  async exec(caller: Caller, workshopId: string, command: string): Promise<LearnerResult[]> {
    const workshop = await this.workshops.requireRunning(caller, workshopId);
    return this.forEachLearner(workshop.workshopSeats, async (seat, instanceId) => {
      const { exitCode, output } = await this.commands.exec(seat.sessionId, instanceId, ['bash', '-c', command]);
      return { exitCode, output, ok: exitCode === 0 };
    });
  }

  async requestHelp(caller: Caller, workshopId: string, learnerId: string): Promise<void> {
    const workshop = await this.workshops.requireRunning(caller, workshopId);
    const seat = workshop.workshopSeats.find((s) => s.id === learnerId && s.joinedAt);
    if (!seat) throw new PlaygroundError('not_found', 'No such learner in this workshop.');
    if (seat.help === 'none') await this.db.workshopSeat.update({ where: { id: seat.id }, data: { help: 'requested' } });
  }

  private activeLearners(seats: SeatWithSession[]): SeatWithSession[] {
    return seats.filter((seat) => seat.joinedAt && seat.session.status === 'active');
  }

  private forEachLearner(
    seats: SeatWithSession[],
    work: (seat: SeatWithSession, instanceId: string) => Promise<Partial<LearnerResult>>,
  ): Promise<LearnerResult[]> {
    const limit = pLimit(FAN_OUT);
    const one = async (seat: SeatWithSession): Promise<LearnerResult> => {
      const base = { learnerId: seat.id, name: seat.learnerName ?? '' };
      const first = seat.session.instances.find((instance) => instance.status === 'running');
      if (!first) return { ...base, ok: false, error: 'No running instance yet.' };
      try {
        return { ...base, ok: true, ...(await work(seat, first.id)) };
      } catch (error) {
        return { ...base, ok: false, error: error instanceof PlaygroundError ? error.message : 'It could not run on this instance.' };
      }
    };
    return Promise.all(this.activeLearners(seats).map((seat) => limit(() => one(seat))));
  }

  // ─── The learner's side (their session id is their capability) ─────────────────────────

  async learnerView(sessionId: string): Promise<LearnerWorkshopView> {
    const seat = await this.requireSeat(sessionId);
    const { workshop } = seat;
    return {
      workshop: { id: workshop.id, title: workshop.title, instructor: workshop.instructor.name },
      learner: { id: seat.id, name: seat.learnerName ?? '' },
      broadcast: workshop.broadcast && workshop.broadcastAt ? { message: workshop.broadcast, at: workshop.broadcastAt.toISOString() } : null,
      watching: this.terminals.watched(sessionId),
      help: seat.help,
    };
  }

  /** The learner allows (only after a request) or revokes/declines the instructor's typing. */
  async answerHelp(sessionId: string, allow: boolean): Promise<LearnerWorkshopView> {
    const seat = await this.requireSeat(sessionId);
    if (allow && seat.help === 'none') throw new PlaygroundError('bad_request', 'Your instructor has not asked to help.');
    const help = allow ? 'granted' : 'none';
    await this.db.workshopSeat.update({ where: { id: seat.id }, data: { help } });
    this.terminals.setWatcherControl(
      sessionId,
      allow,
      allow ? `${seat.learnerName ?? 'The learner'} lets you type.` : `${seat.learnerName ?? 'The learner'} took back typing: you are watching read-only.`,
    );
    if (allow) await this.audit.record(EVENT.workshopHelpGranted, { sessionId, data: { workshopId: seat.workshopId } });
    return this.learnerView(sessionId);
  }

  private async requireSeat(sessionId: string) {
    const seat = await this.db.workshopSeat.findUnique({
      where: { sessionId },
      include: { workshop: { include: { instructor: true } }, session: true },
    });
    if (!seat || !seat.joinedAt) throw new PlaygroundError('not_found', 'This session is not part of a workshop.');
    if (seat.session.status !== 'active') throw new PlaygroundError('session_ended', 'This session has ended.');
    return seat;
  }
}

/** A path inside the instance: relative ones are under /root; NUL bytes and escapes above / are refused. */
export function instancePath(given: string): string {
  if (given.includes('\0')) throw new PlaygroundError('bad_request', 'The path contains a NUL byte.');
  const resolved = path.posix.resolve('/root', given);
  if (resolved === '/' || resolved.endsWith('/')) throw new PlaygroundError('bad_request', 'The path must name a file.');
  return resolved;
}
