// How a learner likes their terminal: font size and theme, kept in the browser (localStorage)
// so a reload or another session looks the same. Pure parsing and stepping; the React side
// is components/terminal/use-terminal-preferences.ts.

export type TerminalThemeName = 'dark' | 'light';

export interface TerminalPreferences {
  fontSize: number;
  theme: TerminalThemeName;
}

export const FONT_SIZE_DEFAULT = 14;
export const FONT_SIZE_MIN = 8;
export const FONT_SIZE_MAX = 32;

/** localStorage keys; one per preference so a bad value in one never resets the other. */
export const PREFERENCE_KEYS = { fontSize: 'playground.terminal.fontSize', theme: 'playground.terminal.theme' } as const;

export function clampFontSize(size: number): number {
  return Math.min(FONT_SIZE_MAX, Math.max(FONT_SIZE_MIN, Math.round(size)));
}

/** One Ctrl +/− step; 0 resets to the default. */
export function stepFontSize(size: number, step: -1 | 0 | 1): number {
  return step === 0 ? FONT_SIZE_DEFAULT : clampFontSize(size + step);
}

/** A stored font size, or the default when absent or not a number. */
export function parseFontSize(raw: string | null): number {
  const size = raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(size) ? clampFontSize(size) : FONT_SIZE_DEFAULT;
}

/** A stored theme; absent or unknown: what the operating system prefers. */
export function parseTheme(raw: string | null, prefersDark: boolean): TerminalThemeName {
  if (raw === 'dark' || raw === 'light') return raw;
  return prefersDark ? 'dark' : 'light';
}

export function readPreferences(stored: (key: string) => string | null, prefersDark: boolean): TerminalPreferences {
  return { fontSize: parseFontSize(stored(PREFERENCE_KEYS.fontSize)), theme: parseTheme(stored(PREFERENCE_KEYS.theme), prefersDark) };
}
