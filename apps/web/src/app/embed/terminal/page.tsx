import { InstanceId, SessionId } from '@playground/contracts';
import { EmbeddedTerminal } from '@/components/embed/embedded-terminal';
import { titled } from '@/i18n/metadata';

// A bare terminal inside another site's page, sized to its frame:
//   <iframe src="<base>/embed/terminal">                       starts its own session on click
//   <iframe src="<base>/embed/terminal?session=…&instance=…">  attaches (what embed.js does)

export const generateMetadata = () => titled('terminal', { referrer: 'no-referrer', robots: { index: false, follow: false } });

export default async function EmbeddedTerminalPage({ searchParams }: { searchParams: Promise<{ session?: string; instance?: string }> }) {
  const { session, instance } = await searchParams;
  const attach =
    SessionId.safeParse(session).success && InstanceId.safeParse(instance).success ? { sessionId: session!, instanceId: instance! } : undefined;
  return <EmbeddedTerminal attach={attach} />;
}
