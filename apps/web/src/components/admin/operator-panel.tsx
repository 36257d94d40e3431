'use client';

import type { AdminSessionView, AuditEventView, NodeView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError, listAuditEvents, listLiveSessions, listNodes, setNodeDrained } from '@/lib/api-client';
import { ErrorBanner } from '../error-banner';

// The operator's page: nodes (with drain and undrain), the sessions that are not over, and the
// audit trail, filterable by session. Everything goes through the admin API with the admin
// token, which stays in this tab (sessionStorage) and is never sent anywhere else.

const TOKEN_KEY = 'playground.adminToken';
const REFRESH_MS = 5_000;

interface Snapshot {
  nodes: NodeView[];
  sessions: AdminSessionView[];
  events: AuditEventView[];
}

export function OperatorPanel() {
  const t = useTranslations('operator');
  const format = useFormatter();
  const describeError = useDescribeError();
  const time = (at: string) => format.dateTime(new Date(at), { timeStyle: 'medium' });
  const [token, setToken] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [filter, setFilter] = useState('');
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setToken(sessionStorage.getItem(TOKEN_KEY)), []);

  const refresh = useCallback(async () => {
    if (!token) return;
    try {
      const [nodes, sessions, events] = await Promise.all([
        listNodes(token),
        listLiveSessions(token),
        listAuditEvents(token, filter.trim() || undefined),
      ]);
      setSnapshot({ nodes: nodes.nodes, sessions: sessions.sessions, events: events.events });
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        setToken(null);
        setError(t('refused'));
        return;
      }
      setError(describeError(err, 'operator.noAnswer'));
    }
  }, [token, filter, t, describeError]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  if (!token) {
    return (
      <form
        className="operator-signin"
        onSubmit={(event) => {
          event.preventDefault();
          sessionStorage.setItem(TOKEN_KEY, typed.trim());
          setToken(typed.trim());
        }}
      >
        <h1>{t('title')}</h1>
        <p>{t('tokenHelp')}</p>
        <input type="password" value={typed} onChange={(event) => setTyped(event.target.value)} aria-label={t('token')} data-testid="admin-token" />
        <button type="submit" className="btn btn-primary" disabled={!typed.trim()}>
          {t('open')}
        </button>
        <ErrorBanner message={error} onDismiss={() => setError(null)} />
      </form>
    );
  }

  const drain = async (node: NodeView, drained: boolean) => {
    try {
      await setNodeDrained(token, node.id, drained);
      await refresh();
    } catch (err) {
      setError(describeError(err, 'operator.drainFailed'));
    }
  };

  return (
    <>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <section>
        <h2>{t('nodes')}</h2>
        <table className="operator-table" data-testid="operator-nodes">
          <thead>
            <tr><th>{t('node')}</th><th>{t('status')}</th><th>{t('instances')}</th><th>{t('sessions')}</th><th>{t('lastHeard')}</th><th /></tr>
          </thead>
          <tbody>
            {snapshot?.nodes.map((node) => (
              <tr key={node.id} data-node={node.id}>
                <td>{node.name} <small>{node.id}</small></td>
                <td>{t(`nodeStatus.${node.status}`)}{node.drained && node.status === 'down' ? ` ${t('drainedNote')}` : ''}</td>
                <td>{node.usage.instances} / {node.capacity.instances}</td>
                <td>{node.usage.sessions}</td>
                <td>{node.lastSeenAt ? time(node.lastSeenAt) : t('never')}</td>
                <td>
                  <button type="button" className="btn" onClick={() => void drain(node, !node.drained)}>
                    {node.drained ? t('undrain') : t('drain')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t('liveSessions')}</h2>
        <table className="operator-table" data-testid="operator-sessions">
          <thead>
            <tr><th>{t('session')}</th><th>{t('status')}</th><th>{t('client')}</th><th>{t('node')}</th><th>{t('instances')}</th><th>{t('started')}</th><th>{t('ends')}</th></tr>
          </thead>
          <tbody>
            {snapshot?.sessions.map((session) => (
              <tr key={session.id}>
                <td>
                  <button type="button" className="link" onClick={() => setFilter(session.id)} title={t('showEvents')}>
                    {session.id.slice(0, 8)}…
                  </button>{' '}
                  <a href={`/p/${session.id}`} target="_blank" rel="noreferrer">{t('openSession')}</a>
                </td>
                <td>{t(`sessionStatus.${session.status}`)}</td>
                <td>{session.client}</td>
                <td>{session.nodeId ?? '—'}</td>
                <td>{session.instances}</td>
                <td>{time(session.createdAt)}</td>
                <td>{time(session.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t('audit')}</h2>
        <input
          className="operator-filter"
          placeholder={t('filterPlaceholder')}
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          aria-label={t('filter')}
          data-testid="audit-filter"
        />
        <table className="operator-table" data-testid="operator-audit">
          <thead>
            <tr><th>{t('when')}</th><th>{t('event')}</th><th>{t('session')}</th><th>{t('instance')}</th><th>{t('node')}</th><th>{t('details')}</th></tr>
          </thead>
          <tbody>
            {snapshot?.events.map((event) => (
              <tr key={event.id}>
                <td>{time(event.at)}</td>
                <td>{event.type}</td>
                <td>{event.sessionId?.slice(0, 8) ?? ''}</td>
                <td>{event.instanceId?.slice(0, 8) ?? ''}</td>
                <td>{event.nodeId ?? ''}</td>
                <td><code>{JSON.stringify(event.data)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
