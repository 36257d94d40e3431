'use client';

import type { WorkshopView } from '@playground/contracts';
import type { LabSummaryView } from '@playground/labs/model';
import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
import { listLabs } from '@/lib/api-client';
import { useAction } from '@/lib/use-action';
import { createWorkshop } from '@/lib/workshop-api';
import { emptyWorkshopForm, workshopBody, type InstanceRow, type WorkshopForm } from '@/lib/workshop-form';
import { ErrorBanner } from '../error-banner';
import { JoinLink } from './join-link';
import { QrCode } from './qr-code';

const MAX_INSTANCES = 10;

/**
 * The create form (the fields of POST /api/v1/workshops) beside a preview of what learners get:
 * the join link and its QR code. The code is the server's to choose, so until the workshop is
 * created the preview shows where the link will live; then it shows the real one.
 */
export function CreateWorkshopForm({ onCreated }: { onCreated: (workshop: WorkshopView) => void }) {
  const t = useTranslations('createWorkshop');
  const [form, setForm] = useState<WorkshopForm>(emptyWorkshopForm);
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<WorkshopView | null>(null);
  const labs = useLabs();
  const lab = labs.find((candidate) => candidate.slug === form.lab) ?? null;
  const nextKey = Math.max(0, ...form.instances.map((row) => row.key)) + 1;

  const set = <K extends keyof WorkshopForm>(key: K, value: WorkshopForm[K]) => setForm((previous) => ({ ...previous, [key]: value }));
  const setRow = (key: number, patch: Partial<InstanceRow>) =>
    set('instances', form.instances.map((row) => (row.key === key ? { ...row, ...patch } : row)));

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const workshop = await createWorkshop(workshopBody(form));
      setCreated(workshop);
      setForm(emptyWorkshopForm());
      onCreated(workshop);
    });
  };

  return (
    <div className="create-workshop">
      <form className="panel workshop-form" onSubmit={submit} data-testid="create-workshop-form">
        <label className="field">
          <span>{t('title')}</span>
          <input required maxLength={120} value={form.title} onChange={(e) => set('title', e.target.value)} placeholder={t('titlePlaceholder')} data-testid="workshop-title" />
        </label>
        <div className="field-row">
          <label className="field">
            <span>{t('seats')}</span>
            <input type="number" min={1} max={500} required value={form.seats} onChange={(e) => set('seats', e.target.value)} data-testid="workshop-seats" />
          </label>
          <label className="field">
            <span>{t('startsAt')}</span>
            <input type="datetime-local" value={form.startsAt} onChange={(e) => set('startsAt', e.target.value)} data-testid="workshop-starts-at" />
          </label>
          <label className="field">
            <span>{t('minutes')}</span>
            <input type="number" min={5} max={1440} value={form.durationMinutes} onChange={(e) => set('durationMinutes', e.target.value)} data-testid="workshop-duration" />
          </label>
        </div>
        <label className="field">
          <span>{t('lab')}</span>
          <select value={form.lab} onChange={(e) => set('lab', e.target.value)} data-testid="workshop-lab">
            <option value="">{t('noLab')}</option>
            {labs.map((candidate) => (
              <option key={candidate.slug} value={candidate.slug}>
                {t('labOption', { title: candidate.title, steps: candidate.steps, instances: candidate.instances })}
              </option>
            ))}
          </select>
        </label>
        {lab ? (
          <p className="muted" data-testid="workshop-lab-note">
            {t('labNote')}
          </p>
        ) : (
          <fieldset className="instance-rows">
            <legend>{t('instances')}</legend>
            {form.instances.map((row, index) => (
              <div className="instance-row" key={row.key} data-testid="instance-row">
                <label className="field">
                  <span>{t('hostname')}</span>
                  <input value={row.hostname} onChange={(e) => setRow(row.key, { hostname: e.target.value })} placeholder={`node${index + 1}`} data-testid="instance-hostname" />
                </label>
                <label className="field grow">
                  <span>{t('setup')}</span>
                  <textarea rows={2} value={row.setup} onChange={(e) => setRow(row.key, { setup: e.target.value })} placeholder="docker pull busybox" data-testid="instance-setup" />
                </label>
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => set('instances', form.instances.filter((other) => other.key !== row.key))}
                  disabled={form.instances.length === 1}
                  aria-label={t('removeInstance', { number: index + 1 })}
                >
                  {t('remove')}
                </button>
              </div>
            ))}
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => set('instances', [...form.instances, { key: nextKey, hostname: `node${form.instances.length + 1}`, setup: '' }])}
              disabled={form.instances.length >= MAX_INSTANCES}
              data-testid="add-instance-row"
            >
              {t('addInstance')}
            </button>
          </fieldset>
        )}
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
        <button type="submit" className="btn btn-primary" disabled={busy || !form.title.trim()} data-testid="create-workshop">
          {busy ? <span className="spinner" aria-hidden="true" /> : null}
          {t('create')}
        </button>
      </form>
      <aside className="panel join-preview" data-testid="join-preview">
        {created ? (
          <>
            <h3>{created.title}</h3>
            <JoinLink joinUrl={created.joinUrl} code={created.code} />
            <a className="btn btn-primary" href={`/instructor/workshops/${encodeURIComponent(created.id)}`} data-testid="open-dashboard">
              {t('openDashboard')}
            </a>
          </>
        ) : (
          <>
            <h3>{form.title.trim() || t('yourWorkshop')}</h3>
            <p className="muted">
              {t('previewSeats', { seats: form.seats || '?' })} · {lab ? t('previewLab', { title: lab.title }) : t('previewInstances', { instances: form.instances.length })}
            </p>
            <PreviewLink />
          </>
        )}
      </aside>
    </div>
  );
}

/** The labs a workshop may follow; none when they cannot be listed (the form works without). */
function useLabs(): LabSummaryView[] {
  const [labs, setLabs] = useState<LabSummaryView[]>([]);
  useEffect(() => {
    listLabs()
      .then((answer) => setLabs(answer.labs))
      .catch(() => setLabs([]));
  }, []);
  return labs;
}

/** Where the link will live before the server has given the workshop its code. */
function PreviewLink() {
  const t = useTranslations('createWorkshop');
  const [origin, setOrigin] = useState('');
  // The page is served where learners will reach it; known only in the browser.
  useEffect(() => setOrigin(window.location.origin), []);
  const preview = `${origin}/w/········`;
  return (
    <div className="join-link dimmed">
      {origin ? <QrCode text={`${origin}/w/`} size={148} /> : null}
      <div className="join-link-text">
        <span className="join-label">{t('joinAt')}</span>
        <span className="join-url" data-testid="join-url-preview">
          {preview}
        </span>
        <span className="muted">{t('codeLater')}</span>
      </div>
    </div>
  );
}
