import { InstanceId, SessionId } from '@playground/contracts';
import { NextIntlClientProvider } from 'next-intl';
import { EmbeddedTerminal } from '@/components/embed/embedded-terminal';
import { isLocale } from '@/i18n/locales';
import { titled } from '@/i18n/metadata';
import { loadMessages } from '@/i18n/request';

// A bare terminal inside another site's page, sized to its frame:
//   <iframe src="<base>/embed/terminal">                       starts its own session on click
//   <iframe src="<base>/embed/terminal?session=…&instance=…">  attaches (what embed.js does)
// `&lang=ko`: the embedding page's language (embed.js sends it), which the frame speaks and its
// shells greet in, whatever the reader's cookie or Accept-Language say.

export const generateMetadata = () => titled('terminal', { referrer: 'no-referrer', robots: { index: false, follow: false } });

export default async function EmbeddedTerminalPage({ searchParams }: { searchParams: Promise<{ session?: string; instance?: string; lang?: string }> }) {
  const { session, instance, lang } = await searchParams;
  const attach =
    SessionId.safeParse(session).success && InstanceId.safeParse(instance).success ? { sessionId: session!, instanceId: instance! } : undefined;
  if (!isLocale(lang)) return <EmbeddedTerminal attach={attach} />;
  return (
    <NextIntlClientProvider locale={lang} messages={await loadMessages(lang)}>
      <EmbeddedTerminal attach={attach} />
    </NextIntlClientProvider>
  );
}
