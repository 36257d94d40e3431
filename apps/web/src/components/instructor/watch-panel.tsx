'use client';

import type { LearnerView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { CloseIcon } from '../icons';
import { WatchTerminal } from './watch-terminal';

/** The learner being watched: their name, which instance, the live terminal. */
export function WatchPanel({ learner, onAskToHelp, onClose }: { learner: LearnerView; onAskToHelp: () => void; onClose: () => void }) {
  const t = useTranslations('watch');
  const [instanceId, setInstanceId] = useState(learner.instances[0]?.id ?? null);
  const instance = learner.instances.find((i) => i.id === instanceId) ?? learner.instances[0];
  return (
    <section className="panel watch-panel" data-testid="watch-panel" data-learner={learner.id}>
      <header className="watch-head">
        <h2>
          {t.rich('watching', { name: () => <span data-testid="watch-learner-name">{learner.name}</span> })}
        </h2>
        {learner.instances.length > 1 ? (
          <div className="lab-tabs" role="tablist">
            {learner.instances.map((i) => (
              <button key={i.id} type="button" role="tab" className="lab-tab" aria-selected={i.id === instance?.id} onClick={() => setInstanceId(i.id)}>
                {i.hostname}
              </button>
            ))}
          </div>
        ) : (
          <span className="mono muted">{instance?.hostname}</span>
        )}
        <span className="spacer" />
        {learner.help === 'none' ? (
          <button type="button" className="btn btn-sm" onClick={onAskToHelp} data-testid="watch-ask-help">
            {t('askToHelp')}
          </button>
        ) : null}
        <button type="button" className="btn btn-sm" onClick={onClose} aria-label={t('stop')} data-testid="stop-watching">
          <CloseIcon />
        </button>
      </header>
      {instance ? <WatchTerminal key={instance.id} instanceId={instance.id} helpGranted={learner.help === 'granted'} /> : <p className="muted">{t('noInstance')}</p>}
    </section>
  );
}
