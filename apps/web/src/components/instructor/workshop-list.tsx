'use client';

import type { WorkshopListView } from '@playground/contracts';

type Listed = WorkshopListView['workshops'][number];

/** The instructor's workshops, newest first as the server lists them; each opens its dashboard. */
export function WorkshopList({ workshops }: { workshops: Listed[] | null }) {
  if (!workshops) return <span className="spinner" aria-label="Loading" />;
  if (workshops.length === 0) return <p className="muted">No workshops yet. Create one below.</p>;
  return (
    <table className="data-table" data-testid="workshop-list">
      <thead>
        <tr>
          <th>title</th>
          <th>code</th>
          <th>status</th>
          <th>learners</th>
          <th>seats ready</th>
          <th>starts</th>
        </tr>
      </thead>
      <tbody>
        {workshops.map((workshop) => (
          <tr key={workshop.id} data-workshop={workshop.id}>
            <td>
              <a href={`/instructor/workshops/${encodeURIComponent(workshop.id)}`}>{workshop.title}</a>
            </td>
            <td className="mono">{workshop.code}</td>
            <td>
              <span className={`status-pill ${workshop.status}`}>{workshop.status}</span>
            </td>
            <td>
              {workshop.learnersJoined} / {workshop.seats}
            </td>
            <td>{workshop.seatsReady}</td>
            <td>{workshop.startsAt ? new Date(workshop.startsAt).toLocaleString() : 'now'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
