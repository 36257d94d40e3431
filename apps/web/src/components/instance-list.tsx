'use client';

import type { InstanceView } from '@playground/contracts';
import { CloseIcon, WarningIcon } from './icons';
import { InstanceMeters } from './instance-meters';

const STATUS_TEXT: Record<InstanceView['status'], string> = {
  creating: 'starting',
  running: 'running',
  deleting: 'deleting',
  deleted: 'deleted',
  failed: 'failed',
  lost: 'stopped',
};

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
  return (
    <ul className="instance-list" aria-label="Instances">
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
            <span className={`status-dot ${status}`} title={STATUS_TEXT[status]} aria-label={STATUS_TEXT[status]} />
            <span className="meta">
              <span className="host">{instance.hostname}</span>
              {/* An instance that ended says why here, in place of its address. */}
              <span className="ip" title={instance.reason ?? undefined} data-testid="instance-status-text">
                {status === 'running' || status === 'creating' ? (instance.ip ?? STATUS_TEXT[status]) : (instance.reason ?? STATUS_TEXT[status])}
              </span>
              {status === 'running' && instance.usage ? <InstanceMeters hostname={instance.hostname} usage={instance.usage} /> : null}
            </span>
            {instance.warning ? (
              <span className="warning-badge" data-testid="instance-warning-badge" title={instance.warning} aria-label={instance.warning}>
                <WarningIcon />
              </span>
            ) : null}
            <button
              type="button"
              className="delete"
              data-testid="delete-instance"
              title={`Delete ${instance.hostname}`}
              aria-label={`Delete ${instance.hostname}`}
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
            <span className="host">Creating an instance…</span>
            <span className="ip">docker engine booting</span>
          </span>
        </li>
      ) : null}
    </ul>
  );
}
