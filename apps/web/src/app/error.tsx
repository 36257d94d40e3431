'use client';

import { ErrorCard } from '@/components/error-card';

// Never shows the error itself: the learner gets a friendly message and a way out.
export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorCard text="text" reset={reset} home />;
}
