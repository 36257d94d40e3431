import type { Metadata } from 'next';
import { JoinWorkshop } from '@/components/workshop/join-workshop';

export const metadata: Metadata = { title: 'Join a workshop', robots: { index: false, follow: false }, referrer: 'no-referrer' };

export default async function JoinPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return <JoinWorkshop key={code} code={decodeURIComponent(code).trim().toLowerCase()} />;
}
