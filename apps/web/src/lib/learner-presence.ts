import type { LearnerView } from '@playground/contracts';

// How the dashboard describes a learner at a glance. The server says whether a terminal is
// open and when the last keystroke was; "idle" is the dashboard's reading of that: no
// activity for five minutes, whether or not a tab is still open.

export const IDLE_AFTER_MS = 5 * 60_000;

export type Presence = 'connected' | 'idle' | 'offline' | 'ended';

export function presenceOf(learner: Pick<LearnerView, 'status' | 'connected' | 'lastActivityAt'>, now: number): Presence {
  if (learner.status !== 'active') return 'ended';
  if (now - Date.parse(learner.lastActivityAt) >= IDLE_AFTER_MS) return 'idle';
  return learner.connected ? 'connected' : 'offline';
}

/**
 * How long ago, as a message of `learners.ago` and its values: "just now", "4 min ago",
 * "2 h 5 min ago" (방금, 4분 전, 2시간 5분 전).
 */
export type Ago =
  | { key: 'justNow'; values: Record<string, never> }
  | { key: 'minutes'; values: { minutes: number } }
  | { key: 'hours'; values: { hours: number } }
  | { key: 'hoursMinutes'; values: { hours: number; minutes: number } };

export function formatAgo(at: string, now: number): Ago {
  const minutes = Math.floor(Math.max(0, now - Date.parse(at)) / 60_000);
  if (minutes < 1) return { key: 'justNow', values: {} };
  if (minutes < 60) return { key: 'minutes', values: { minutes } };
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? { key: 'hoursMinutes', values: { hours, minutes: rest } } : { key: 'hours', values: { hours } };
}
