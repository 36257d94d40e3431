import type { CreateWorkshopBody } from '@playground/contracts';

// The create-workshop form's state and the API body it becomes. The form keeps strings (as
// inputs do); empty optional fields are left out so the server's defaults apply, and the
// server's validation speaks for the rest.

export interface InstanceRow {
  /** Only for React's list keys. */
  key: number;
  hostname: string;
  setup: string;
}

export interface WorkshopForm {
  title: string;
  seats: string;
  /** A `datetime-local` value (the instructor's local time), or empty. */
  startsAt: string;
  durationMinutes: string;
  /** The slug of a lab to follow (its template replaces the instance rows), or empty. */
  lab: string;
  instances: InstanceRow[];
}

export const DEFAULT_DURATION_MINUTES = 120;

export function emptyWorkshopForm(): WorkshopForm {
  return { title: '', seats: '20', startsAt: '', durationMinutes: String(DEFAULT_DURATION_MINUTES), lab: '', instances: [{ key: 0, hostname: 'node1', setup: '' }] };
}

export function workshopBody(form: WorkshopForm): CreateWorkshopBody {
  const startsAt = form.startsAt ? new Date(form.startsAt) : null;
  return {
    title: form.title.trim(),
    seats: Number(form.seats),
    ...(form.lab
      ? { lab: { slug: form.lab } }
      : {
          template: {
            instances: form.instances.map((row) => ({
              ...(row.hostname.trim() ? { hostname: row.hostname.trim() } : {}),
              ...(row.setup.trim() ? { setup: row.setup } : {}),
            })),
          },
        }),
    ...(startsAt && !Number.isNaN(startsAt.getTime()) ? { startsAt: startsAt.toISOString() } : {}),
    ...(form.durationMinutes.trim() ? { durationMinutes: Number(form.durationMinutes) } : {}),
  };
}
