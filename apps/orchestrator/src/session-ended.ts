/** Why a session ended, as the terminal, the API (404 of GET) and the page say it. */
export function sessionEndedMessage(endReason: string | null, ttlMinutes: number): string {
  switch (endReason) {
    case 'expired':
      return `This session reached its time limit (${formatTtl(ttlMinutes)}) and has ended. Its instances are gone.`;
    case 'closed':
      return 'This session was closed. Its instances are gone.';
    case 'admin':
      return 'This session was ended by the playground operator (the playground shut down). Its instances are gone.';
    default:
      return 'This session has ended.';
  }
}

function formatTtl(minutes: number): string {
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
