import { getRequestConfig } from 'next-intl/server';
import { cookies, headers } from 'next/headers';
import { LOCALE_COOKIE, type Locale } from './locales';
import { negotiateLocale } from './negotiate';

// No locale in the URL: every page's language comes from the cookie or Accept-Language, so
// server rendering already speaks the learner's language (no flash of English).
export default getRequestConfig(async () => {
  const locale = negotiateLocale((await cookies()).get(LOCALE_COOKIE)?.value, (await headers()).get('accept-language'));
  return {
    locale,
    messages: await loadMessages(locale),
  };
});

/** One language's messages (messages/<locale>.json). */
export async function loadMessages(locale: Locale): Promise<Record<string, unknown>> {
  return (await import(`../../messages/${locale}.json`)).default;
}
