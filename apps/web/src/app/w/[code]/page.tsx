import { JoinWorkshop } from '@/components/workshop/join-workshop';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('join', { robots: { index: false, follow: false }, referrer: 'no-referrer' });

export default async function JoinPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return <JoinWorkshop key={code} code={decodeURIComponent(code).trim().toLowerCase()} />;
}
