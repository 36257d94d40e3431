'use client';

import { Brand } from './brand';
import { StartSessionButton } from './start-session-button';

export function SessionEnded() {
  return (
    <main className="center-card" data-testid="session-ended">
      <div className="card">
        <Brand />
        <h1>This session has ended.</h1>
        <p>Its instances and their data are gone. A new session starts from a clean slate.</p>
        <div className="actions">
          <StartSessionButton label="Start a new session" className="btn btn-primary" />
        </div>
      </div>
    </main>
  );
}
