'use client';

import type { InstanceView, JoinedView, WorkshopPublicView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError, getSession } from '@/lib/api-client';
import { adoptLabSession } from '@/lib/use-lab-workspace';
import { getWorkshopByCode, joinWorkshop } from '@/lib/workshop-api';
import { Brand } from '../brand';
import { LanguageMenu } from '../language-menu';
import { ErrorBanner } from '../error-banner';

// /w/<code>: a learner joins with a display name, no account. The server keeps the seat by a
// cookie, so coming back in the same browser and joining again lands in the same seat; the
// name is remembered here only to fill the field.

const NAME_KEY = 'playground.workshopName';

type Loaded = { kind: 'loading' } | { kind: 'unknown' } | { kind: 'failed'; message: string } | { kind: 'found'; workshop: WorkshopPublicView };

export function JoinWorkshop({ code }: { code: string }) {
  const t = useTranslations('join');
  const format = useFormatter();
  const describeError = useDescribeError();
  const router = useRouter();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  /** A seat of a lab-following workshop whose instances are still starting. */
  const [waiting, setWaiting] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);

  useEffect(() => {
    setName(localStorage.getItem(NAME_KEY) ?? '');
    getWorkshopByCode(code)
      .then((workshop) => setLoaded({ kind: 'found', workshop }))
      .catch((err) => {
        if (err instanceof ApiError && (err.status === 404 || err.status === 400)) setLoaded({ kind: 'unknown' });
        else setLoaded({ kind: 'failed', message: describeError(err) });
      });
  }, [code, describeError]);

  const join = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const joined = await joinWorkshop(code, name.trim());
      localStorage.setItem(NAME_KEY, name.trim());
      if (joined.lab) setWaiting(true);
      router.push(await learnerPage(joined, t));
    } catch (err) {
      setError({ code: err instanceof ApiError ? err.code : 'failed', message: err instanceof ApiError ? describeError(err) : err instanceof Error ? err.message : t('failed') });
      setBusy(false);
      setWaiting(false);
    }
  };

  return (
    <main className="center-card" data-testid="join-page">
      <div className="card join-card">
        <div className="card-top">
          <Brand />
          <LanguageMenu />
        </div>
        {loaded.kind === 'loading' ? <span className="spinner" aria-label={t('loading')} style={{ margin: '24px auto', display: 'block' }} /> : null}
        {loaded.kind === 'failed' ? <ErrorBanner message={loaded.message} /> : null}
        {loaded.kind === 'unknown' ? (
          <div data-testid="join-unknown">
            <h1>{t('unknownTitle')}</h1>
            <p>{t.rich('unknownText', { code: () => <code>{code}</code> })}</p>
          </div>
        ) : null}
        {loaded.kind === 'found' ? (
          <>
            <h1 data-testid="join-title">{loaded.workshop.title}</h1>
            <p>{t('with', { instructor: loaded.workshop.instructor })}</p>
            {loaded.workshop.status === 'ended' ? (
              <p className="join-state" role="status" data-testid="join-ended">
                {t('ended')}
              </p>
            ) : (
              <form className="join-form" onSubmit={join}>
                {!loaded.workshop.open ? (
                  <p className="join-state" role="status" data-testid="join-full">
                    {t('full')}
                  </p>
                ) : null}
                {loaded.workshop.status === 'scheduled' && loaded.workshop.startsAt ? (
                  <p className="muted">{t('starts', { when: format.dateTime(new Date(loaded.workshop.startsAt), { dateStyle: 'medium', timeStyle: 'short' }) })}</p>
                ) : null}
                <label className="field">
                  <span>{t('name')}</span>
                  <input required maxLength={60} autoFocus value={name} onChange={(e) => setName(e.target.value)} data-testid="join-name" />
                </label>
                {error ? (
                  <div data-testid="join-error" data-code={error.code}>
                    <ErrorBanner message={error.message} />
                  </div>
                ) : null}
                <button type="submit" className="btn btn-primary btn-block" disabled={busy || !name.trim()} data-testid="join-submit">
                  {busy ? <span className="spinner" aria-hidden="true" /> : null}
                  {waiting ? t('waiting') : loaded.workshop.open ? t('join') : t('continue')}
                </button>
              </form>
            )}
          </>
        ) : null}
      </div>
    </main>
  );
}

/** The seat's page: the playground page, or the lab's steps beside the seat's instances when the workshop follows a lab. */
type Translate = ReturnType<typeof useTranslations<'join'>>;

async function learnerPage(joined: JoinedView, t: Translate): Promise<string> {
  if (!joined.lab) return `/p/${joined.sessionId}`;
  // The lab page resumes a session only once its instances run; a seat made just now is still starting.
  const instances = await runningInstances(joined.sessionId, t);
  adoptLabSession(joined.lab.slug, joined.sessionId, Object.fromEntries(instances.map((instance) => [instance.hostname, instance.id])));
  return `/labs/${encodeURIComponent(joined.lab.slug)}?lang=${encodeURIComponent(joined.lab.language)}`;
}

const START_WAIT_MS = 3 * 60_000;

async function runningInstances(sessionId: string, t: Translate): Promise<InstanceView[]> {
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const session = await getSession(sessionId);
    const live = session.instances.filter((instance) => instance.status !== 'deleted');
    if (live.length > 0 && live.every((instance) => instance.status === 'running')) return live;
    const failed = live.find((instance) => instance.status === 'failed' || instance.status === 'lost');
    if (failed) throw new Error(t('instanceFailed', { hostname: failed.hostname }));
    if (Date.now() > deadline) throw new Error(t('tooSlow'));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
