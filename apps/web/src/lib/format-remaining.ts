/** `h:mm:ss` for a number of milliseconds (negative counts as zero). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A port number typed by the learner, or what is wrong with it (a key of the `instance` messages). */
export function parsePort(text: string): { port: number } | { error: 'portNotNumber' | 'portOutOfRange' } {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { error: 'portNotNumber' };
  const port = Number(trimmed);
  if (port < 1 || port > 65535) return { error: 'portOutOfRange' };
  return { port };
}

/** Minutes before the end at which the learner is warned, latest last. */
export const EXPIRY_WARNINGS_MINUTES = [15, 5] as const;

/**
 * The warning due with `ms` left: the latest mark already passed (15, then 5 minutes), or null
 * before the first one and once the session is over.
 */
export function expiryWarning(ms: number): (typeof EXPIRY_WARNINGS_MINUTES)[number] | null {
  if (ms <= 0) return null;
  let due: (typeof EXPIRY_WARNINGS_MINUTES)[number] | null = null;
  for (const minutes of EXPIRY_WARNINGS_MINUTES) if (ms <= minutes * 60_000) due = minutes;
  return due;
}
