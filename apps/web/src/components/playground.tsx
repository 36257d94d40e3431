'use client';

import type { InstanceView } from '@playground/contracts';
import { useLocale, useTranslations } from 'next-intl';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError, closeSession, createInstance, deleteInstance } from '@/lib/api-client';
import { nearLimitWarning } from '@/lib/usage-meters';
import { useSession } from '@/lib/use-session';
import { Brand } from './brand';
import { Countdown } from './countdown';
import { ErrorBanner } from './error-banner';
import { FilesWorkspace } from './files/files-workspace';
import { InstanceBar } from './instance-bar';
import { PlusIcon, WarningIcon } from './icons';
import { InstanceList } from './instance-list';
import { LanguageMenu } from './language-menu';
import { SessionEnded } from './session-ended';
import { SessionLost } from './session-lost';
import { TerminalView } from './terminal-view';
import { LearnerWorkshop } from './workshop/learner-workshop';

/**
 * Instances whose shell can be attached. A `lost` instance in a live session crashed or was
 * stopped (a lost node makes the whole session lost): its shell is gone, and the page says why.
 */
function hasShell(instance: InstanceView): boolean {
  return instance.status === 'running' || instance.status === 'deleting';
}

export function Playground({ sessionId }: { sessionId: string }) {
  const t = useTranslations('playground');
  const tMeters = useTranslations('meters');
  const locale = useLocale();
  const messageOf = useDescribeError();
  const { state, refresh, markEnded, markLost } = useSession(sessionId);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  // Instances the API answered with but a poll has not listed yet: shown as the server named them.
  const [answered, setAnswered] = useState<readonly InstanceView[]>([]);
  const [deletingIds, setDeletingIds] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [closing, setClosing] = useState(false);
  // Instances this page deleted leave the list at once; the record may say `deleting` a while.
  const [removedIds, setRemovedIds] = useState<ReadonlySet<string>>(new Set());
  const seenIds = useRef(new Set<string>());

  const session = state.kind === 'active' ? state.session : null;
  // Once a poll lists an answered instance, the record speaks for it (it may end later).
  useEffect(() => {
    const listed = new Set((session?.instances ?? []).map((i) => i.id));
    setAnswered((previous) => (previous.some((a) => listed.has(a.id)) ? previous.filter((a) => !listed.has(a.id)) : previous));
  }, [session]);

  const instances = useMemo(() => {
    const listed = session?.instances ?? [];
    const unlisted = answered.filter((a) => !listed.some((i) => i.id === a.id));
    return [...listed, ...unlisted].filter((i) => i.status !== 'deleted' && !removedIds.has(i.id));
  }, [session, answered, removedIds]);

  // Keep a valid selection: the first instance when nothing is selected or the selected one
  // went away. A just-created id not seen yet in a poll is kept: the next poll brings it.
  useEffect(() => {
    if (!session) return;
    for (const i of instances) seenIds.current.add(i.id);
    if (selectedId && (instances.some((i) => i.id === selectedId) || !seenIds.current.has(selectedId))) return;
    setSelectedId(instances[0]?.id ?? null);
  }, [session, instances, selectedId]);

  const selected = instances.find((i) => i.id === selectedId) ?? null;
  const fullWarning = selected?.status === 'running' && selected.usage ? nearLimitWarning(tMeters, selected.hostname, selected.usage) : null;
  // Once the record lists the new instance (as `creating`), it stands in for the pending row.
  // Until the API answers, the new instance has no name: the server picks it (it never reuses one).
  const pendingRow = adding && !instances.some((i) => i.status === 'creating');
  const atLimit = session ? instances.length >= session.limits.maxInstances : false;

  const addInstance = useCallback(async () => {
    setError(null);
    setAdding(true);
    try {
      const created = await createInstance(sessionId);
      if (created) {
        setAnswered((previous) => [...previous, created]);
        setSelectedId(created.id);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) markEnded(err.code === 'session_ended' ? err.message : undefined);
      else if (err instanceof ApiError && err.code === 'session_lost') markLost();
      else setError(messageOf(err, 'playground.addFailed'));
    } finally {
      setAdding(false);
    }
  }, [sessionId, markEnded, markLost, messageOf]);

  const removeInstance = useCallback(
    async (instanceId: string) => {
      const hostname = instances.find((i) => i.id === instanceId)?.hostname ?? '';
      if (!window.confirm(t('confirmDelete', { hostname }))) return;
      setError(null);
      setDeletingIds((prev) => new Set(prev).add(instanceId));
      try {
        await deleteInstance(sessionId, instanceId);
        setRemovedIds((prev) => new Set(prev).add(instanceId));
        await refresh();
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) setRemovedIds((prev) => new Set(prev).add(instanceId));
        else setError(messageOf(err, 'playground.deleteFailed'));
        await refresh();
      } finally {
        setDeletingIds((prev) => {
          const next = new Set(prev);
          next.delete(instanceId);
          return next;
        });
      }
    },
    [instances, sessionId, refresh, t, messageOf],
  );

  const close = useCallback(async () => {
    if (!window.confirm(t('confirmClose'))) return;
    setError(null);
    setClosing(true);
    try {
      await closeSession(sessionId);
      markEnded();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) markEnded();
      else setError(messageOf(err, 'playground.closeFailed'));
    } finally {
      setClosing(false);
    }
  }, [sessionId, markEnded, t, messageOf]);

  if (state.kind === 'ended') return <SessionEnded reason={state.message} />;
  if (state.kind === 'lost') return <SessionLost />;


  return (
    <div className="pg">
      <header className="pg-header">
        <Brand />
        <span className="session-chip" title={t('sessionId')} translate="no">
          {sessionId.slice(0, 8)}
        </span>
        <span className="spacer" />
        {state.kind === 'active' && state.stale ? (
          <span className="offline-pill" role="status">
            <span className="spinner" aria-hidden="true" /> {t('reconnecting')}
          </span>
        ) : null}
        {session ? <Countdown expiresAt={session.expiresAt} /> : <span className="skeleton" style={{ width: 120, height: 32 }} />}
        <LanguageMenu />
        <button type="button" className="btn btn-danger" data-testid="close-session" onClick={close} disabled={closing || !session}>
          {closing ? <span className="spinner" aria-hidden="true" /> : null}
          {t('close')}
        </button>
      </header>
      <LearnerWorkshop sessionId={sessionId} />

      <div className="pg-banner">
        <ErrorBanner message={error ?? (state.kind === 'loading' ? state.error : null)} onDismiss={error ? () => setError(null) : undefined} />
      </div>

      <div className="pg-body">
        <aside className="sidebar">
          <div className="sidebar-top">
            <div className="sidebar-title">
              <span>{t('instances')}</span>
              {session ? (
                <span>
                  {instances.length}/{session.limits.maxInstances}
                </span>
              ) : null}
            </div>
            <button
              type="button"
              className="btn btn-primary btn-block"
              data-testid="add-instance"
              onClick={addInstance}
              disabled={!session || adding}
              title={atLimit ? t('atLimit', { max: session?.limits.maxInstances ?? 0 }) : undefined}
            >
              {adding ? <span className="spinner" aria-hidden="true" /> : <PlusIcon />}
              {t('add')}
            </button>
          </div>
          <InstanceList
            instances={instances}
            selectedId={selectedId}
            pending={pendingRow}
            deletingIds={deletingIds}
            onSelect={setSelectedId}
            onDelete={removeInstance}
          />
          <div className="sidebar-foot">{t('sidebarFoot')}</div>
        </aside>

        <main className="main">
          {selected ? <InstanceBar sessionId={sessionId} instance={selected} /> : null}
          {selected?.warning && selected.status === 'running' ? (
            <div className="instance-warning" role="alert" data-testid="instance-warning">
              <WarningIcon />
              <span>{locale === 'en' ? selected.warning : t('cpuWarning')}</span>
            </div>
          ) : null}
          {fullWarning ? (
            <div className="instance-warning" role="status" data-testid="usage-warning">
              <WarningIcon />
              <span>{fullWarning}</span>
            </div>
          ) : null}
          {selected && !hasShell(selected) ? <InstanceNotReady instance={selected} /> : null}
          {!selected ? <NoInstance loading={!session} pending={adding} onAdd={addInstance} /> : null}
          <FilesWorkspace sessionId={sessionId} instanceId={selected && hasShell(selected) ? selected.id : undefined}>
            <div className="terminal-stack" hidden={!selected || !hasShell(selected)}>
              {instances.filter(hasShell).map((instance) => (
                <TerminalView key={instance.id} sessionId={sessionId} instanceId={instance.id} visible={instance.id === selectedId} />
              ))}
            </div>
          </FilesWorkspace>
        </main>
      </div>
    </div>
  );
}

function NoInstance({ loading, pending, onAdd }: { loading: boolean; pending: boolean; onAdd: () => void }) {
  const t = useTranslations('playground');
  if (loading) {
    return (
      <div className="empty">
        <span className="spinner" aria-label={t('loading')} />
      </div>
    );
  }
  return (
    <div className="empty">
      <div>
        <div className="big">&gt;_</div>
        <h2>{pending ? t('firstStarting') : t('empty')}</h2>
        <p>{t('emptyText')}</p>
        {pending ? null : (
          <button type="button" className="btn btn-primary" onClick={onAdd}>
            <PlusIcon /> {t('add')}
          </button>
        )}
      </div>
    </div>
  );
}

/** What the main pane says about an instance without a shell: starting, or why it failed or stopped. */
function InstanceNotReady({ instance }: { instance: InstanceView }) {
  const t = useTranslations('playground');
  const locale = useLocale();
  if (instance.status === 'creating') {
    return (
      <div className="empty">
        <div>
          <span className="spinner" style={{ display: 'inline-block', marginBottom: 14 }} aria-hidden="true" />
          <h2>{t('instanceStarting', { hostname: instance.hostname })}</h2>
          <p>{t('instanceBooting')}</p>
        </div>
      </div>
    );
  }
  const failed = instance.status === 'failed';
  return (
    <div className="empty" data-testid="instance-ended">
      <div>
        <h2>{failed ? t('instanceFailed', { hostname: instance.hostname }) : t('instanceStopped', { hostname: instance.hostname })}</h2>
        {/* The server's reason is English: other languages show the general advice only. */}
        {instance.reason && locale === 'en' ? <p data-testid="instance-reason">{capitalised(instance.reason)}.</p> : null}
        <p>{failed ? t('instanceFailedText') : t('instanceStoppedText')}</p>
      </div>
    </div>
  );
}

function capitalised(text: string): string {
  const trimmed = text.replace(/[.\s]+$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
