'use client';

import { Brand } from './brand';
import { StartSessionButton } from './start-session-button';

/** The page for a session that is over, however it ended: what happened, and a fresh start. */
export function SessionOver({ testId, title, message }: { testId: string; title: string; message: string }) {
  return (
    <main className="center-card" data-testid={testId}>
      <div className="card">
        <Brand />
        <h1>{title}</h1>
        <p>{message}</p>
        <div className="actions">
          <StartSessionButton label="Start a new session" className="btn btn-primary" />
        </div>
      </div>
    </main>
  );
}

/** `reason`: the API's word on why (expired, closed, ended by the operator), when it gave one. */
export function SessionEnded({ reason }: { reason?: string }) {
  return (
    <SessionOver
      testId="session-ended"
      title="This session has ended."
      message={`${reason && reason !== 'This session has ended.' ? `${reason} ` : 'Its instances and their data are gone. '}A new session starts from a clean slate.`}
    />
  );
}
