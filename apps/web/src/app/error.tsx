'use client';

import Link from 'next/link';

// Never shows the error itself: the learner gets a friendly message and a way out.
export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="center-card">
      <div className="card">
        <div className="code">:(</div>
        <h1>Something went wrong</h1>
        <p>The page hit an unexpected problem. Your instances keep running.</p>
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={() => reset()}>
            Try again
          </button>
          <Link href="/" className="btn">
            Start page
          </Link>
        </div>
      </div>
    </main>
  );
}
