import type { Metadata } from 'next';
import { WorkshopDashboard } from '@/components/instructor/workshop-dashboard';

export const metadata: Metadata = { title: 'Workshop', robots: { index: false, follow: false } };

export default async function WorkshopPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <WorkshopDashboard key={id} workshopId={id} />;
}
