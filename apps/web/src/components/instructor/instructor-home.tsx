'use client';

import type { WorkshopListView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { listWorkshops } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { CreateWorkshopForm } from './create-workshop-form';
import { InstructorGate } from './instructor-gate';
import { LabUploadPanel } from './lab-upload-panel';
import { TokenPanel } from './token-panel';
import { WorkshopList } from './workshop-list';

/** /instructor: sign in, then workshops, the create form and API tokens. */
export function InstructorHome() {
  const t = useTranslations('instructor');
  return <InstructorGate title={t('title')}>{() => <Signedin />}</InstructorGate>;
}

function Signedin() {
  const t = useTranslations('instructor');
  const describeError = useDescribeError();
  const [workshops, setWorkshops] = useState<WorkshopListView['workshops'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setWorkshops((await listWorkshops()).workshops);
    } catch (err) {
      setError(describeError(err, 'instructor.listFailed'));
    }
  }, [describeError]);
  useEffect(() => void load(), [load]);

  return (
    <div className="instructor-sections">
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <section>
        <h2>{t('workshops')}</h2>
        <WorkshopList workshops={workshops} />
      </section>
      <section>
        <h2>{t('newWorkshop')}</h2>
        <CreateWorkshopForm onCreated={() => void load()} />
      </section>
      <section>
        <h2>{t('labs')}</h2>
        <LabUploadPanel />
      </section>
      <section>
        <h2>{t('tokens')}</h2>
        <TokenPanel />
      </section>
    </div>
  );
}
