'use client';

import { SessionOver } from './session-ended';

/** The session's node stopped responding (GET answers status `lost`): say so plainly, offer a fresh start. */
export function SessionLost() {
  return (
    <SessionOver
      testId="session-lost"
      title="This session was lost."
      message="The machine running this session stopped responding. Its instances are gone."
    />
  );
}
