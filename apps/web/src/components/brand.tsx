'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';

export function Brand() {
  const t = useTranslations('brand');
  return (
    <Link href="/" className="brand" aria-label={t('home')}>
      <span className="brand-mark" aria-hidden="true">
        &gt;_
      </span>
      Playground
    </Link>
  );
}
