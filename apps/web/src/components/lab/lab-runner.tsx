'use client';

import type { LabStep as Step, LabView } from '@playground/labs/model';
import { useLocale, useTranslations } from 'next-intl';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { LOCALE_NAMES, type Locale } from '@/i18n/locales';
import { ApiError, getLab, runScript } from '@/lib/api-client';
import { renderLabMarkdown } from '@/lib/lab-markdown';
import { asKeystrokes, typeIntoTerminal } from '@/lib/terminal-input';
import { useLabProgress } from '@/lib/use-lab-progress';
import { useLabWorkspace } from '@/lib/use-lab-workspace';
import { Brand } from '../brand';
import { LanguageMenu } from '../language-menu';
import { ErrorBanner } from '../error-banner';
import { TerminalView } from '../terminal-view';
import { LabStep, type CheckState } from './lab-step';
import { LearnerWorkshop } from '../workshop/learner-workshop';

/**
 * A lab: its steps beside the terminals of its template's instances. `embedded` (in another
 * site's iframe, /embed/labs/<slug>): no site navigation, links stay inside the frame.
 */
export function LabRunner({ slug, language, embedded = false }: { slug: string; language?: string; embedded?: boolean }) {
  const t = useTranslations('lab');
  const locale = useLocale();
  const describeError = useDescribeError();
  const labPath = embedded ? '/embed/labs' : '/labs';
  const [lab, setLab] = useState<LabView | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { workspace, restart } = useLabWorkspace(lab);
  const ready = workspace.kind === 'ready' ? workspace : null;
  const { passed, markPassed } = useLabProgress(ready?.sessionId ?? null);
  const [selectedHost, setSelectedHost] = useState<string | null>(null);

  useEffect(() => {
    getLab(slug, language)
      .then(setLab)
      .catch((err: unknown) => setLoadError(err instanceof ApiError && err.status === 404 ? t('noSuchLab', { slug }) : describeError(err, 'lab.loadFailed')));
  }, [slug, language, t, describeError]);

  const hostnames = useMemo(() => lab?.template.instances.map((instance) => instance.hostname) ?? [], [lab]);
  const shownHost = selectedHost ?? hostnames[0] ?? null;

  const runBlock = useCallback(
    (blockId: string) => {
      const block = lab?.steps.flatMap((step) => step.blocks).find((candidate) => candidate.id === blockId);
      const instanceId = block && ready?.instances[block.instance];
      if (!block || !instanceId) return;
      setSelectedHost(block.instance);
      typeIntoTerminal(instanceId, asKeystrokes(block.code));
    },
    [lab, ready],
  );

  const check = useCallback(
    async (step: Step): Promise<CheckState> => {
      const instanceId = step.check && ready?.instances[step.check.instance];
      if (!step.check || !ready || !instanceId) return { kind: 'idle' };
      try {
        const result = await runScript(ready.sessionId, instanceId, step.check.script);
        if (result.exitCode === 0) {
          markPassed(step.number);
          return { kind: 'passed' };
        }
        return { kind: 'failed', output: result.output };
      } catch (err) {
        return { kind: 'failed', output: '', error: describeError(err, 'lab.checkFailed') };
      }
    },
    [ready, markPassed, describeError],
  );

  if (loadError) {
    return (
      <div className="center-card">
        <div className="card">
          <h1>{t('notFound')}</h1>
          <p>{loadError}</p>
          {embedded ? null : (
            <a className="btn" href="/labs">
              {t('allLabs')}
            </a>
          )}
        </div>
      </div>
    );
  }

  const done = lab ? lab.steps.filter((step) => passed.has(step.number)).length : 0;
  return (
    <div className={`pg lab${embedded ? ' embedded' : ''}`}>
      <header className="pg-header">
        {embedded ? null : (
          <>
            <Brand />
            <a href="/labs" className="lab-crumb">
              {t('labs')}
            </a>
          </>
        )}
        <h1 className="lab-title" lang={lab?.language}>
          {lab?.title ?? ''}
        </h1>
        <span className="spacer" />
        {lab && lab.languages.length > 1 ? (
          <nav className="lab-languages" aria-label={t('labLanguage')}>
            {lab.languages.map((code) =>
              code === lab.language ? (
                <b key={code} lang={code}>
                  {LOCALE_NAMES[code as Locale] ?? code}
                </b>
              ) : (
                <a key={code} href={`${labPath}/${lab.slug}?lang=${code}`} hrefLang={code} lang={code}>
                  {LOCALE_NAMES[code as Locale] ?? code}
                </a>
              ),
            )}
          </nav>
        ) : null}
        {lab ? (
          <span className="lab-progress" data-testid="lab-progress">
            {done} / {lab.steps.length}
          </span>
        ) : null}
        {embedded ? null : <LanguageMenu />}
      </header>
      {ready ? <LearnerWorkshop sessionId={ready.sessionId} /> : null}
      <div className="pg-banner">
        <ErrorBanner message={workspace.kind === 'failed' ? workspace.message : null} />
        {workspace.kind === 'failed' ? (
          <button type="button" className="btn" onClick={restart}>
            {t('retry')}
          </button>
        ) : null}
      </div>
      <div className="lab-body">
        <article className="lab-steps" data-testid="lab-steps" lang={lab?.language}>
          {lab ? (
            <>
              <p className="lab-meta" lang={locale}>
                {t('meta', { minutes: lab.duration, steps: lab.steps.length })}
              </p>
              <div className="lab-markdown" dangerouslySetInnerHTML={{ __html: renderLabMarkdown(lab.introduction) }} />
              {lab.steps.map((step) => (
                <LabStep key={`${lab.language}-${step.number}`} step={step} passed={passed.has(step.number)} canRun={Boolean(ready)} onRunBlock={runBlock} onCheck={check} />
              ))}
              {done === lab.steps.length ? (
                <p className="lab-finished" role="status" lang={locale}>
                  {t('finished')}
                </p>
              ) : null}
            </>
          ) : (
            <span className="skeleton" style={{ display: 'block', height: 200 }} />
          )}
        </article>
        <section className="main lab-terminals">
          <div className="lab-tabs" role="tablist">
            {hostnames.map((hostname) => (
              <button
                key={hostname}
                type="button"
                role="tab"
                aria-selected={hostname === shownHost}
                className="lab-tab"
                onClick={() => setSelectedHost(hostname)}
              >
                {hostname}
              </button>
            ))}
          </div>
          <div className="terminal-stack">
            {ready
              ? hostnames.map((hostname) => (
                  <TerminalView key={ready.instances[hostname]} sessionId={ready.sessionId} instanceId={ready.instances[hostname]!} visible={hostname === shownHost} />
                ))
              : null}
            {workspace.kind === 'starting' ? (
              <div className="terminal-overlay" role="status" data-testid="lab-starting">
                <span className="spinner" aria-hidden="true" /> {workspace.step}
              </div>
            ) : null}
          </div>
        </section>
      </div>
    </div>
  );
}
