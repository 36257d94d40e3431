import { getRequestConfig } from 'next-intl/server';
import { cookies, headers } from 'next/headers';
import { LOCALE_COOKIE } from './locales';
import { negotiateLocale } from './negotiate';

// No locale in the URL: every page's language comes from the cookie or Accept-Language, so
// server rendering already speaks the learner's language (no flash of English).
export default getRequestConfig(async () => {
  const locale = negotiateLocale((await cookies()).get(LOCALE_COOKIE)?.value, (await headers()).get('accept-language'));
  return {
    locale,
    messages: (await import(`../../messages/${locale}.json`)).default,
  };
});
