'use client';

import type { InstanceView } from '@playground/contracts';
import { useLocale, useTranslations } from 'next-intl';
import { CloseIcon, WarningIcon } from './icons';
import { InstanceMeters } from './instance-meters';

export function InstanceList(props: {
  instances: InstanceView[];
  selectedId: string | null;
  /** A new instance is being created (its name comes with the server's answer). */
  pending: boolean;
  deletingIds: ReadonlySet<string>;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}) {
  const { instances, selectedId, pending, deletingIds, onSelect, onDelete } = props;
  const t = useTranslations('instance');
  // The server's reasons and warnings are English: other languages show the translated status.
  const english = useLocale() === 'en';
  const statusText = (status: InstanceView['status']) => t(`status.${status}`);
  return (
    <ul className="instance-list" aria-label={t('list')}>
      {instances.map((instance) => {
        const selected = instance.id === selectedId;
        const status = deletingIds.has(instance.id) ? 'deleting' : instance.status;
        return (
          <li
            key={instance.id}
            className={`instance-item${selected ? ' selected' : ''}`}
            data-testid="instance-item"
            data-instance-id={instance.id}
            data-selected={selected ? 'true' : 'false'}
            aria-current={selected ? 'true' : undefined}
            tabIndex={0}
            onClick={() => onSelect(instance.id)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                onSelect(instance.id);
              }
            }}
          >
            <span className={`status-dot ${status}`} title={statusText(status)} aria-label={statusText(status)} />
            <span className="meta">
              <span className="host" translate="no">
                {instance.hostname}
              </span>
              {/* An instance that ended says why here, in place of its address. */}
              <span className="ip" title={(english && instance.reason) || undefined} data-testid="instance-status-text">
                {status === 'running' || status === 'creating' ? (instance.ip ?? statusText(status)) : ((english && instance.reason) || statusText(status))}
              </span>
              {status === 'running' && instance.usage ? <InstanceMeters hostname={instance.hostname} usage={instance.usage} /> : null}
            </span>
            {instance.warning ? (
              <span className="warning-badge" data-testid="instance-warning-badge" title={english ? instance.warning : t('cpuWarning')} aria-label={english ? instance.warning : t('cpuWarning')}>
                <WarningIcon />
              </span>
            ) : null}
            <button
              type="button"
              className="delete"
              data-testid="delete-instance"
              title={t('delete', { hostname: instance.hostname })}
              aria-label={t('delete', { hostname: instance.hostname })}
              disabled={deletingIds.has(instance.id)}
              onClick={(event) => {
                event.stopPropagation();
                onDelete(instance.id);
              }}
            >
              <CloseIcon />
            </button>
          </li>
        );
      })}
      {pending ? (
        <li className="instance-item pending" data-testid="pending-instance" aria-busy="true">
          <span className="spinner" aria-hidden="true" />
          <span className="meta">
            <span className="host">{t('creating')}</span>
            <span className="ip">{t('booting')}</span>
          </span>
        </li>
      ) : null}
    </ul>
  );
}
