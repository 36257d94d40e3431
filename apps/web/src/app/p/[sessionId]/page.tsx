import { notFound } from 'next/navigation';
import { SessionId } from '@playground/contracts';
import { Playground } from '@/components/playground';
import { titled } from '@/i18n/metadata';

// The URL is the session's capability: keep it out of search engines and referrers.
export const generateMetadata = () => titled('session', { robots: { index: false, follow: false }, referrer: 'no-referrer' });

export default async function PlaygroundPage({ params }: { params: Promise<{ sessionId: string }> }) {
  const { sessionId } = await params;
  if (!SessionId.safeParse(sessionId).success) notFound();
  // Keyed so that moving to another session starts from a fresh state.
  return <Playground key={sessionId} sessionId={sessionId} />;
}
