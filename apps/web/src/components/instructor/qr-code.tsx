'use client';

import QRCode from 'qrcode';
import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';

/**
 * A QR code of `text` (the join link) as SVG, so it stays sharp on a projector. The markup
 * comes from the qrcode library and holds only paths (the text is encoded, never embedded).
 */
export function QrCode({ text, size, testId }: { text: string; size: number; testId?: string }) {
  const t = useTranslations('joinLink');
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    QRCode.toString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M', color: { dark: '#0a0e13', light: '#ffffff' } })
      .then((markup) => current && setSvg(markup))
      .catch(() => current && setSvg(null));
    return () => {
      current = false;
    };
  }, [text]);
  return (
    <div
      className="qr-code"
      style={{ width: size, height: size }}
      role="img"
      aria-label={t('qr', { text })}
      data-testid={testId}
      data-text={text}
      dangerouslySetInnerHTML={svg ? { __html: svg } : undefined}
    />
  );
}
