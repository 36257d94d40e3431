'use client';

import type { CreatedTokenView, TokenView } from '@playground/contracts';
import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { createToken, listTokens, revokeToken } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { CopyButton } from './copy-button';

/** API tokens for course platforms: list, create (the token is shown once), revoke. */
export function TokenPanel() {
  const t = useTranslations('tokens');
  const format = useFormatter();
  const describeError = useDescribeError();
  const when = (at: string) => format.dateTime(new Date(at), { dateStyle: 'medium', timeStyle: 'short' });
  const [tokens, setTokens] = useState<TokenView[] | null>(null);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState<CreatedTokenView | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTokens((await listTokens()).tokens);
    } catch (err) {
      setError(describeError(err, 'tokens.listFailed'));
    }
  }, [describeError]);
  useEffect(() => void load(), [load]);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setFresh(await createToken(name.trim()));
      setName('');
      await load();
    } catch (err) {
      setError(describeError(err, 'tokens.createFailed'));
    }
  };

  const revoke = async (token: TokenView) => {
    if (!window.confirm(t('confirmRevoke', { name: token.name }))) return;
    setError(null);
    try {
      await revokeToken(token.id);
      if (fresh?.id === token.id) setFresh(null);
      await load();
    } catch (err) {
      setError(describeError(err, 'tokens.revokeFailed'));
    }
  };

  return (
    <div className="panel" data-testid="token-panel">
      <p className="muted">
        {t.rich('intro', { header: () => <code>Authorization: Bearer &lt;token&gt;</code> })}
      </p>
      {fresh ? (
        <div className="token-once" role="status" data-testid="new-token">
          <span>{t('copyNow')}</span>
          <code data-testid="new-token-value">{fresh.token}</code>
          <CopyButton text={fresh.token} />
        </div>
      ) : null}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {tokens && tokens.length > 0 ? (
        <table className="data-table" data-testid="token-list">
          <thead>
            <tr>
              <th>{t('name')}</th>
              <th>{t('prefix')}</th>
              <th>{t('created')}</th>
              <th>{t('lastUsed')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id} data-token={token.id}>
                <td>{token.name}</td>
                <td className="mono">{token.prefix}…</td>
                <td>{when(token.createdAt)}</td>
                <td>{token.lastUsedAt ? when(token.lastUsedAt) : t('never')}</td>
                <td>
                  <button type="button" className="btn btn-sm btn-danger" onClick={() => void revoke(token)}>
                    {t('revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : tokens ? (
        <p className="muted">{t('none')}</p>
      ) : null}
      <form className="inline-form" onSubmit={create}>
        <input value={name} maxLength={80} onChange={(e) => setName(e.target.value)} placeholder={t('namePlaceholder')} aria-label={t('nameLabel')} data-testid="token-name" />
        <button type="submit" className="btn" disabled={!name.trim()} data-testid="create-token">
          {t('create')}
        </button>
      </form>
    </div>
  );
}
