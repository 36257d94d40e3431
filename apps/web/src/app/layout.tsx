import type { Metadata, Viewport } from 'next';
import { NextIntlClientProvider } from 'next-intl';
import { getLocale, getTranslations } from 'next-intl/server';
import type { ReactNode } from 'react';
import '@xterm/xterm/css/xterm.css';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations('meta');
  return {
    title: { default: t('title'), template: t('titleTemplate', { page: '%s' }) },
    description: t('description'),
  };
}

export const viewport: Viewport = { themeColor: '#0a0e13', colorScheme: 'dark' };

// The provider hands the request's language and messages (src/i18n/request.ts) to client components.
export default async function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang={await getLocale()}>
      <body>
        <NextIntlClientProvider>{children}</NextIntlClientProvider>
      </body>
    </html>
  );
}
