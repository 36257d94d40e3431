import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="center-card">
      <div className="card">
        <div className="code">404</div>
        <h1>Nothing here</h1>
        <p>This page does not exist, or the link is incomplete.</p>
        <div className="actions">
          <Link href="/" className="btn btn-primary">
            Go to the start page
          </Link>
        </div>
      </div>
    </main>
  );
}
