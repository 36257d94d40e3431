import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { SessionId } from '@playground/contracts';
import { Playground } from '@/components/playground';

export const metadata: Metadata = {
  title: 'Session',
  // The URL is the session's capability: keep it out of search engines and referrers.
  robots: { index: false, follow: false },
  referrer: 'no-referrer',
};

export default async function PlaygroundPage({ params }: { params: Promise<{ sessionId: string }> }) {
  const { sessionId } = await params;
  if (!SessionId.safeParse(sessionId).success) notFound();
  // Keyed so that moving to another session starts from a fresh state.
  return <Playground key={sessionId} sessionId={sessionId} />;
}
