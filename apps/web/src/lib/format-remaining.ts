/** `h:mm:ss` for a number of milliseconds (negative counts as zero). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A port number typed by the learner, or an explanation of what is wrong with it. */
export function parsePort(text: string): { port: number } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { error: 'Enter a port number between 1 and 65535.' };
  const port = Number(trimmed);
  if (port < 1 || port > 65535) return { error: 'Ports go from 1 to 65535.' };
  return { port };
}
