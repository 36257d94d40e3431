'use client';

import { Brand } from './brand';
import { StartSessionButton } from './start-session-button';

/** The session's node stopped responding (GET answers status `lost`): say so plainly, offer a fresh start. */
export function SessionLost() {
  return (
    <main className="center-card" data-testid="session-lost">
      <div className="card">
        <Brand />
        <h1>This session was lost.</h1>
        <p>The machine running this session stopped responding. Its instances are gone.</p>
        <div className="actions">
          <StartSessionButton label="Start a new session" className="btn btn-primary" />
        </div>
      </div>
    </main>
  );
}
