// The languages of the UI. Adding one: a messages/<locale>.json with the same keys as en.json,
// its name in LOCALE_NAMES, and (for the terminal's welcome text) /etc/motd.<locale> in the
// instance image.

export const LOCALES = ['en', 'ko'] as const;
export type Locale = (typeof LOCALES)[number];

/** Used when neither the cookie nor the browser's languages name one of LOCALES. */
export const DEFAULT_LOCALE: Locale = 'en';

/** The cookie that remembers the learner's choice (read by server rendering on every request). */
export const LOCALE_COOKIE = 'NEXT_LOCALE';

/** Each language in its own words, for the language menu. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', ko: '한국어' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
