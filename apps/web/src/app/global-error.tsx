'use client';

import { NextIntlClientProvider } from 'next-intl';
import { useEffect, useState } from 'react';
import { ErrorCard } from '@/components/error-card';
import { DEFAULT_LOCALE, LOCALE_COOKIE, type Locale } from '@/i18n/locales';
import { negotiateLocale } from '@/i18n/negotiate';
import en from '../../messages/en.json';
import ko from '../../messages/ko.json';
import './globals.css';

const MESSAGES: Record<Locale, typeof en> = { en, ko };

// Replaces the root layout when it fails itself, so it brings its own <html> and, with the root
// layout's provider gone, its own messages: the language is chosen in the browser, as the server would.
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const [locale, setLocale] = useState<Locale>(DEFAULT_LOCALE);
  useEffect(() => {
    const cookie = document.cookie.split('; ').find((pair) => pair.startsWith(`${LOCALE_COOKIE}=`))?.slice(LOCALE_COOKIE.length + 1);
    setLocale(negotiateLocale(cookie, navigator.languages.join(',')));
  }, []);
  return (
    <html lang={locale}>
      <body>
        <NextIntlClientProvider locale={locale} messages={MESSAGES[locale]}>
          <ErrorCard text="globalText" reset={reset} />
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
