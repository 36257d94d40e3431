import { match } from '@formatjs/intl-localematcher';
import Negotiator from 'negotiator';
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from './locales';

/**
 * The UI language for a request: the remembered choice (cookie) first, else the best match for
 * the browser's Accept-Language (`ko-KR,ko;q=0.9,en;q=0.8` → ko), else the default.
 */
export function negotiateLocale(cookie: string | undefined, acceptLanguage: string | null | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  const wanted = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } })
    .languages()
    .filter((tag) => tag !== '*');
  try {
    const found = match(wanted, LOCALES, DEFAULT_LOCALE);
    return isLocale(found) ? found : DEFAULT_LOCALE;
  } catch {
    // A malformed tag in the header (Intl throws a RangeError): fall back rather than fail the page.
    return DEFAULT_LOCALE;
  }
}
