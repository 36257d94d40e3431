import { InstructorHome } from '@/components/instructor/instructor-home';
import { titled } from '@/i18n/metadata';

export const generateMetadata = () => titled('instructor', { robots: { index: false, follow: false } });

export default function InstructorPage() {
  return <InstructorHome />;
}
