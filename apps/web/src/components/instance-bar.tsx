'use client';

import type { InstanceView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useState, type FormEvent } from 'react';
import { parsePort } from '@/lib/format-remaining';
import { ExternalIcon } from './icons';
import { DownloadMenu } from './download-menu';
import { SshCommand } from './ssh-command';

/** The selected instance's name and address, its open ports, and a way to open any port. */
export function InstanceBar({ sessionId, instance }: { sessionId: string; instance: InstanceView }) {
  const t = useTranslations('instance');
  const [portText, setPortText] = useState('');
  const [portError, setPortError] = useState<string | null>(null);

  function openPort(event: FormEvent) {
    event.preventDefault();
    const parsed = parsePort(portText);
    if ('error' in parsed) {
      setPortError(t(parsed.error));
      return;
    }
    setPortError(null);
    window.open(instance.portUrlTemplate.replace('{port}', String(parsed.port)), '_blank', 'noopener,noreferrer');
  }

  return (
    <div className="instance-bar">
      <div className="instance-header" data-testid="instance-header">
        <span className="host" translate="no">
          {instance.hostname}
        </span>
        <span className="ip">{instance.ip ?? t('noIp')}</span>
      </div>
      <SshCommand command={instance.ssh} />
      {instance.status === 'running' ? <DownloadMenu sessionId={sessionId} instanceId={instance.id} /> : null}
      <div className="ports" aria-label={t('openPorts')}>
        {instance.ports.length > 0 ? <span className="label">{t('ports')}</span> : null}
        {instance.ports.map((port) => (
          <a
            key={port.port}
            className="port-badge"
            data-testid="port-badge"
            href={port.url}
            target="_blank"
            rel="noopener noreferrer"
            title={`${port.url}\n${port.pathUrl}`}
          >
            {port.port}
          </a>
        ))}
      </div>
      <form className="open-port" onSubmit={openPort} noValidate>
        <input
          type="number"
          inputMode="numeric"
          min={1}
          max={65535}
          placeholder={t('portPlaceholder')}
          aria-label={t('portNumber')}
          data-testid="open-port-input"
          value={portText}
          aria-invalid={portError ? 'true' : 'false'}
          onChange={(event) => {
            setPortText(event.target.value);
            if (portError) setPortError(null);
          }}
        />
        <button type="submit" className="btn" data-testid="open-port-button">
          {t('openPort')} <ExternalIcon />
        </button>
        {portError ? (
          <div className="open-port-error" role="alert" data-testid="open-port-error">
            {portError}
          </div>
        ) : null}
      </form>
    </div>
  );
}
