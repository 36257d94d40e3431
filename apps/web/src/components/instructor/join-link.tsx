'use client';

import { useTranslations } from 'next-intl';
import { CopyButton } from './copy-button';
import { QrCode } from './qr-code';

/**
 * Where learners go: the link, its QR code and the code itself. `projector` makes all three
 * big enough to read from the back of a room.
 */
export function JoinLink({ joinUrl, code, projector = false }: { joinUrl: string; code: string; projector?: boolean }) {
  const t = useTranslations('joinLink');
  return (
    <div className={`join-link${projector ? ' projector' : ''}`} data-testid="join-link-panel">
      <QrCode text={joinUrl} size={projector ? 260 : 148} testId="join-qr" />
      <div className="join-link-text">
        <span className="join-label">{t('joinAt')}</span>
        <a href={joinUrl} target="_blank" rel="noreferrer" className="join-url" data-testid="join-url">
          {joinUrl}
        </a>
        <span className="join-label">{t('code')}</span>
        <span className="join-code" data-testid="join-code">
          {code}
        </span>
        <CopyButton text={joinUrl} label={t('copyLink')} />
      </div>
    </div>
  );
}
