'use client';

import type { TemplateView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { createSession, listTemplates } from '@/lib/api-client';
import { useDescribeError } from '@/i18n/describe-error';
import { ErrorBanner } from './error-banner';

/**
 * Creates a session and opens it. The session id in the URL is the learner's capability.
 * With `offerTemplates`, the learner picks what the session starts with (one host, a Swarm, …);
 * a click before the templates are loaded waits for them and takes the default one, so a quick
 * learner gets the same session as a patient one; only if they cannot be loaded does it start
 * an empty session.
 */
export function StartSessionButton({
  label,
  className = 'btn btn-primary btn-lg',
  offerTemplates = false,
}: {
  label?: string;
  className?: string;
  offerTemplates?: boolean;
}) {
  const t = useTranslations('start');
  const describeError = useDescribeError();
  const router = useRouter();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [templates, setTemplates] = useState<TemplateView[]>([]);
  const [template, setTemplate] = useState<string | undefined>(undefined);

  /** The templates' one request, also awaited by a click that comes before it answered. */
  const loading = useRef<Promise<TemplateView[]> | null>(null);

  useEffect(() => {
    if (!offerTemplates) return;
    let current = true;
    loading.current ??= listTemplates().then(({ templates: loaded }) => loaded, () => []);
    void loading.current.then((loaded) => {
      if (!current) return;
      setTemplates(loaded);
      setTemplate((chosen) => chosen ?? defaultTemplate(loaded));
    });
    return () => {
      current = false;
    };
  }, [offerTemplates]);

  async function start() {
    setStarting(true);
    setError(null);
    try {
      const chosen = template ?? (offerTemplates && loading.current ? defaultTemplate(await loading.current) : undefined);
      const session = await createSession(chosen);
      router.push(`/p/${session.id}`);
      // Stay "starting" until the next page replaces this one.
    } catch (err) {
      setError(describeError(err, 'start.failed'));
      setStarting(false);
    }
  }

  return (
    <>
      {templates.length > 1 && (
        <fieldset className="template-picker" data-testid="template-picker" disabled={starting}>
          <legend>{t('with')}</legend>
          {templates.map((entry) => (
            <label key={entry.id} className={entry.id === template ? 'template-option selected' : 'template-option'}>
              <input type="radio" name="template" value={entry.id} checked={entry.id === template} onChange={() => setTemplate(entry.id)} />
              <b>{t.has(`templates.${entry.id}.title`) ? t(`templates.${entry.id}.title`) : entry.title}</b>
              <span>{t.has(`templates.${entry.id}.description`) ? t(`templates.${entry.id}.description`) : entry.description}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="cta-row">
        <button type="button" className={className} data-testid="start-session" onClick={start} disabled={starting}>
          {starting ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">▶</span>}
          {starting ? t('starting') : (label ?? t('start'))}
        </button>
      </div>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
    </>
  );
}

/** One host when the operator offers it, else the first template. */
function defaultTemplate(templates: TemplateView[]): string | undefined {
  return templates.find((entry) => entry.id === 'single')?.id ?? templates[0]?.id;
}
