'use client';

import './globals.css';

// Replaces the root layout when it fails itself, so it brings its own <html>.
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body>
        <main className="center-card">
          <div className="card">
            <div className="code">:(</div>
            <h1>Something went wrong</h1>
            <p>The playground hit an unexpected problem. Please try again.</p>
            <div className="actions">
              <button type="button" className="btn btn-primary" onClick={() => reset()}>
                Try again
              </button>
            </div>
          </div>
        </main>
      </body>
    </html>
  );
}
