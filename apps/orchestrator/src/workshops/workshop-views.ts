import type { LearnerView, WorkshopListView, WorkshopStatus, WorkshopTemplate, WorkshopView } from '@playground/contracts';
import type { Instance, Instructor, Session, Workshop, WorkshopSeat } from '../generated/prisma/client.ts';

// Workshop records → what the API shows. Presence (connected, time connected) lives in
// memory (classroom.ts) and is passed in.

export type SeatWithSession = WorkshopSeat & { session: Session & { instances: Instance[] } };
export type WorkshopWithSeats = Workshop & { instructor: Instructor; workshopSeats: SeatWithSession[] };

export interface Presence {
  connected(sessionId: string): boolean;
}

export function workshopLab(workshop: Pick<Workshop, 'labSlug' | 'labLanguage'>): { slug: string; language: string } | null {
  return workshop.labSlug && workshop.labLanguage ? { slug: workshop.labSlug, language: workshop.labLanguage } : null;
}

export function workshopStatus(workshop: Pick<Workshop, 'endedAt' | 'startsAt'>, now = new Date()): WorkshopStatus {
  if (workshop.endedAt) return 'ended';
  if (workshop.startsAt && workshop.startsAt > now) return 'scheduled';
  return 'open';
}

export function joinUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/w/${code}`;
}

/** A prepared seat is ready when nobody has it and every one of its instances runs. */
function seatCounts(seats: SeatWithSession[]) {
  const waiting = seats.filter((seat) => seat.state === 'ready' && seat.session.status === 'active');
  return {
    seatsReady: waiting.length,
    seatsPreparing: seats.filter((seat) => seat.state === 'preparing' && !seat.joinedAt).length,
    seatsFailed: seats.filter((seat) => seat.state === 'failed').length,
  };
}

export function learnerView(seat: SeatWithSession, presence: Presence): LearnerView {
  return {
    id: seat.id,
    name: seat.learnerName ?? '',
    status: seat.session.status,
    connected: presence.connected(seat.sessionId),
    joinedAt: seat.joinedAt!.toISOString(),
    lastActivityAt: (seat.lastActivityAt ?? seat.joinedAt!).toISOString(),
    sessionId: seat.sessionId,
    expiresAt: seat.session.expiresAt.toISOString(),
    help: seat.help,
    instances: seat.session.instances
      .filter((instance) => instance.status !== 'deleted')
      .map((instance) => ({ id: instance.id, hostname: instance.hostname, status: instance.status })),
  };
}

function summary(workshop: Workshop & { instructor: Instructor }, publicUrl: string) {
  return {
    id: workshop.id,
    code: workshop.code,
    joinUrl: joinUrl(publicUrl, workshop.code),
    title: workshop.title,
    seats: workshop.seats,
    status: workshopStatus(workshop),
    startsAt: workshop.startsAt?.toISOString() ?? null,
    durationMinutes: workshop.durationMinutes,
    createdAt: workshop.createdAt.toISOString(),
    broadcast: workshop.broadcast && workshop.broadcastAt ? { message: workshop.broadcast, at: workshop.broadcastAt.toISOString() } : null,
    instructor: { id: workshop.instructor.id, name: workshop.instructor.name },
  };
}

export function workshopView(workshop: WorkshopWithSeats, publicUrl: string, presence: Presence): WorkshopView {
  const learners = workshop.workshopSeats
    .filter((seat) => seat.joinedAt)
    .sort((a, b) => a.joinedAt!.getTime() - b.joinedAt!.getTime())
    .map((seat) => learnerView(seat, presence));
  return {
    ...summary(workshop, publicUrl),
    template: workshop.template as WorkshopTemplate,
    lab: workshopLab(workshop),
    ...seatCounts(workshop.workshopSeats),
    learners,
  };
}

export function workshopListEntry(workshop: WorkshopWithSeats, publicUrl: string): WorkshopListView['workshops'][number] {
  return {
    ...summary(workshop, publicUrl),
    ...seatCounts(workshop.workshopSeats),
    learnersJoined: workshop.workshopSeats.filter((seat) => seat.joinedAt).length,
  };
}

/** One CSV field: quoted when it holds a separator, a quote or a line break; formulas defused. */
function csvField(value: string): string {
  // A leading =, +, - or @ would run as a formula in a spreadsheet (CSV injection).
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function attendanceCsv(seats: SeatWithSession[], connectedMs: (seat: WorkshopSeat) => number): string {
  const rows = [['name', 'joined_at', 'last_activity_at', 'minutes_connected', 'status']];
  for (const seat of seats.filter((s) => s.joinedAt).sort((a, b) => a.joinedAt!.getTime() - b.joinedAt!.getTime())) {
    rows.push([
      seat.learnerName ?? '',
      seat.joinedAt!.toISOString(),
      (seat.lastActivityAt ?? seat.joinedAt!).toISOString(),
      (connectedMs(seat) / 60_000).toFixed(1),
      seat.session.status,
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
