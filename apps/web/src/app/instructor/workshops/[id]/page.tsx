import { WorkshopDashboard } from '@/components/instructor/workshop-dashboard';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('workshop', { robots: { index: false, follow: false } });

export default async function WorkshopPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <WorkshopDashboard key={id} workshopId={id} />;
}
