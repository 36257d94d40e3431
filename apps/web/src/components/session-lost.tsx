'use client';

import { useTranslations } from 'next-intl';
import { SessionOver } from './session-ended';

/** The session's node stopped responding (GET answers status `lost`): say so plainly, offer a fresh start. */
export function SessionLost() {
  const t = useTranslations('sessionOver');
  return <SessionOver testId="session-lost" title={t('lostTitle')} message={t('lostText')} />;
}
