import Link from 'next/link';

export function Brand() {
  return (
    <Link href="/" className="brand" aria-label="Playground home">
      <span className="brand-mark" aria-hidden="true">
        &gt;_
      </span>
      Playground
    </Link>
  );
}
