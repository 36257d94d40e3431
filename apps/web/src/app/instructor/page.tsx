import type { Metadata } from 'next';
import { InstructorHome } from '@/components/instructor/instructor-home';

export const metadata: Metadata = { title: 'Instructor', robots: { index: false, follow: false } };

export default function InstructorPage() {
  return <InstructorHome />;
}
