'use client';

import type { WorkshopListView } from '@playground/contracts';
import { useCallback, useEffect, useState } from 'react';
import { listWorkshops } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { CreateWorkshopForm } from './create-workshop-form';
import { InstructorGate } from './instructor-gate';
import { LabUploadPanel } from './lab-upload-panel';
import { TokenPanel } from './token-panel';
import { WorkshopList } from './workshop-list';

/** /instructor: sign in, then workshops, the create form and API tokens. */
export function InstructorHome() {
  return <InstructorGate title="Instructor">{() => <Signedin />}</InstructorGate>;
}

function Signedin() {
  const [workshops, setWorkshops] = useState<WorkshopListView['workshops'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setWorkshops((await listWorkshops()).workshops);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not list your workshops.');
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <div className="instructor-sections">
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <section>
        <h2>Your workshops</h2>
        <WorkshopList workshops={workshops} />
      </section>
      <section>
        <h2>New workshop</h2>
        <CreateWorkshopForm onCreated={() => void load()} />
      </section>
      <section>
        <h2>Your labs</h2>
        <LabUploadPanel />
      </section>
      <section>
        <h2>API tokens</h2>
        <TokenPanel />
      </section>
    </div>
  );
}
