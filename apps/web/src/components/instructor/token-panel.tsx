'use client';

import type { CreatedTokenView, TokenView } from '@playground/contracts';
import { useCallback, useEffect, useState } from 'react';
import { createToken, listTokens, revokeToken } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { CopyButton } from './copy-button';

/** API tokens for course platforms: list, create (the token is shown once), revoke. */
export function TokenPanel() {
  const [tokens, setTokens] = useState<TokenView[] | null>(null);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState<CreatedTokenView | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTokens((await listTokens()).tokens);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not list your tokens.');
    }
  }, []);
  useEffect(() => void load(), [load]);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setFresh(await createToken(name.trim()));
      setName('');
      await load();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not create the token.');
    }
  };

  const revoke = async (token: TokenView) => {
    if (!window.confirm(`Revoke "${token.name}"? Anything using it stops working.`)) return;
    setError(null);
    try {
      await revokeToken(token.id);
      if (fresh?.id === token.id) setFresh(null);
      await load();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not revoke the token.');
    }
  };

  return (
    <div className="panel" data-testid="token-panel">
      <p className="muted">
        A course platform can run workshops with <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      {fresh ? (
        <div className="token-once" role="status" data-testid="new-token">
          <span>Copy it now: it is not shown again.</span>
          <code data-testid="new-token-value">{fresh.token}</code>
          <CopyButton text={fresh.token} />
        </div>
      ) : null}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {tokens && tokens.length > 0 ? (
        <table className="data-table" data-testid="token-list">
          <thead>
            <tr>
              <th>name</th>
              <th>starts with</th>
              <th>created</th>
              <th>last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id} data-token={token.id}>
                <td>{token.name}</td>
                <td className="mono">{token.prefix}…</td>
                <td>{new Date(token.createdAt).toLocaleString()}</td>
                <td>{token.lastUsedAt ? new Date(token.lastUsedAt).toLocaleString() : 'never'}</td>
                <td>
                  <button type="button" className="btn btn-sm btn-danger" onClick={() => void revoke(token)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : tokens ? (
        <p className="muted">No tokens.</p>
      ) : null}
      <form className="inline-form" onSubmit={create}>
        <input value={name} maxLength={80} onChange={(e) => setName(e.target.value)} placeholder="Token name, e.g. LMS" aria-label="Token name" data-testid="token-name" />
        <button type="submit" className="btn" disabled={!name.trim()} data-testid="create-token">
          Create token
        </button>
      </form>
    </div>
  );
}
