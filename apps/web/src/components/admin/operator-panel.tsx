'use client';

import type { AdminSessionView, AuditEventView, NodeView } from '@playground/contracts';
import { useCallback, useEffect, useState } from 'react';
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
        setError('That admin token was refused.');
        return;
      }
      setError(err instanceof Error ? err.message : 'The admin API did not answer.');
    }
  }, [token, filter]);

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
        <h1>Operator</h1>
        <p>The admin token (ADMIN_TOKEN; `npm start` keeps it in .playground/secrets.json).</p>
        <input type="password" value={typed} onChange={(event) => setTyped(event.target.value)} aria-label="Admin token" data-testid="admin-token" />
        <button type="submit" className="btn btn-primary" disabled={!typed.trim()}>
          Open
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
      setError(err instanceof Error ? err.message : 'The node could not be changed.');
    }
  };

  return (
    <>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <section>
        <h2>Nodes</h2>
        <table className="operator-table" data-testid="operator-nodes">
          <thead>
            <tr><th>node</th><th>status</th><th>instances</th><th>sessions</th><th>last heard</th><th /></tr>
          </thead>
          <tbody>
            {snapshot?.nodes.map((node) => (
              <tr key={node.id} data-node={node.id}>
                <td>{node.name} <small>{node.id}</small></td>
                <td>{node.status}{node.drained && node.status === 'down' ? ' (drained)' : ''}</td>
                <td>{node.usage.instances} / {node.capacity.instances}</td>
                <td>{node.usage.sessions}</td>
                <td>{node.lastSeenAt ? new Date(node.lastSeenAt).toLocaleTimeString() : 'never'}</td>
                <td>
                  <button type="button" className="btn" onClick={() => void drain(node, !node.drained)}>
                    {node.drained ? 'Undrain' : 'Drain'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Live sessions</h2>
        <table className="operator-table" data-testid="operator-sessions">
          <thead>
            <tr><th>session</th><th>status</th><th>client</th><th>node</th><th>instances</th><th>started</th><th>ends</th></tr>
          </thead>
          <tbody>
            {snapshot?.sessions.map((session) => (
              <tr key={session.id}>
                <td>
                  <button type="button" className="link" onClick={() => setFilter(session.id)} title="Show its audit events">
                    {session.id.slice(0, 8)}…
                  </button>{' '}
                  <a href={`/p/${session.id}`} target="_blank" rel="noreferrer">open</a>
                </td>
                <td>{session.status}</td>
                <td>{session.client}</td>
                <td>{session.nodeId ?? '—'}</td>
                <td>{session.instances}</td>
                <td>{new Date(session.createdAt).toLocaleTimeString()}</td>
                <td>{new Date(session.expiresAt).toLocaleTimeString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Audit events</h2>
        <input
          className="operator-filter"
          placeholder="session id (empty: all)"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          aria-label="Filter by session"
          data-testid="audit-filter"
        />
        <table className="operator-table" data-testid="operator-audit">
          <thead>
            <tr><th>when</th><th>event</th><th>session</th><th>instance</th><th>node</th><th>details</th></tr>
          </thead>
          <tbody>
            {snapshot?.events.map((event) => (
              <tr key={event.id}>
                <td>{new Date(event.at).toLocaleTimeString()}</td>
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
