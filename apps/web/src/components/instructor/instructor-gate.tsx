'use client';

import type { MeView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError } from '@/lib/api-client';
import { useAction } from '@/lib/use-action';
import { getMe, signIn, signOut } from '@/lib/workshop-api';
import { Brand } from '../brand';
import { LanguageMenu } from '../language-menu';
import { ErrorBanner } from '../error-banner';

type Who = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'failed'; message: string } | { kind: 'signed-in'; me: MeView };

/**
 * The instructor's pages: the sign-in form until GET /api/v1/me knows the caller, then the
 * page under a header naming who is signed in, with Sign out.
 */
export function InstructorGate({ title, children }: { title: string; children: (me: MeView) => ReactNode }) {
  const t = useTranslations('instructor');
  const describeError = useDescribeError();
  const [who, setWho] = useState<Who>({ kind: 'loading' });
  const [signOutError, setSignOutError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setWho({ kind: 'signed-in', me: await getMe() });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setWho({ kind: 'signed-out' });
      else setWho({ kind: 'failed', message: describeError(err) });
    }
  }, [describeError]);
  useEffect(() => void load(), [load]);

  const leave = async () => {
    setSignOutError(null);
    try {
      await signOut();
      setWho({ kind: 'signed-out' });
    } catch (err) {
      // Still signed in: say so rather than show a sign-in form the cookie contradicts.
      setSignOutError(t('signOutFailed', { reason: describeError(err) }));
    }
  };

  return (
    <div className="landing instructor">
      <nav className="landing-nav">
        <Brand />
        <span className="instructor-nav">
          <a href="/instructor">{title}</a>
          {who.kind === 'signed-in' ? (
            <>
              <span className="instructor-who" data-testid="instructor-name">
                {who.me.name}
              </span>
              <button type="button" className="btn btn-sm" onClick={() => void leave()} data-testid="sign-out">
                {t('signOut')}
              </button>
            </>
          ) : null}
          <LanguageMenu />
        </span>
      </nav>
      <main className="instructor-main">
        <ErrorBanner message={signOutError} onDismiss={() => setSignOutError(null)} />
        {who.kind === 'loading' ? <span className="spinner" aria-label={t('loading')} /> : null}
        {who.kind === 'failed' ? <ErrorBanner message={who.message} /> : null}
        {who.kind === 'signed-out' ? <SignInForm onSignedIn={load} /> : null}
        {who.kind === 'signed-in' ? children(who.me) : null}
      </main>
    </div>
  );
}

function SignInForm({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const t = useTranslations('instructor');
  const { busy, error, run } = useAction();

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void run(
      async () => {
        await signIn(email.trim(), password);
        await onSignedIn();
      },
      (err) => (err instanceof ApiError && err.status === 401 ? t('badCredentials') : undefined),
    );
  };

  return (
    <form className="panel signin-form" onSubmit={submit} data-testid="sign-in-form">
      <h1>{t('signInTitle')}</h1>
      <p className="muted">{t('signInText')}</p>
      <label className="field">
        <span>{t('email')}</span>
        <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="sign-in-email" />
      </label>
      <label className="field">
        <span>{t('password')}</span>
        <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="sign-in-password" />
      </label>
      <ErrorBanner message={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || !email.trim() || !password} data-testid="sign-in-submit">
        {busy ? <span className="spinner" aria-hidden="true" /> : null}
        {t('signIn')}
      </button>
    </form>
  );
}
