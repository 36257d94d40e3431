'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';

/** Copies `text`; says "Copied" for a moment. Where the clipboard is not allowed, the text stays selectable beside it. */
export function CopyButton({ text, label, testId }: { text: string; label?: string; testId?: string }) {
  const t = useTranslations('common');
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="btn btn-sm"
      data-testid={testId}
      onClick={() => {
        navigator.clipboard
          ?.writeText(text)
          .then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          })
          .catch(() => setCopied(false));
      }}
    >
      {copied ? t('copied') : (label ?? t('copy'))}
    </button>
  );
}
