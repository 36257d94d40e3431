'use client';

import type { LearnerResult } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useState, type ReactNode } from 'react';
import { bytesToBase64, textToBase64 } from '@/lib/base64';
import { useAction } from '@/lib/use-action';
import { broadcast, execEverywhere, pushFile } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';
import { LearnerResults } from './learner-results';

// Talking to the whole class: a broadcast banner, a file into every learner's first instance,
// a command run in each with its outcome per learner.

/** A form whose submit is one API call: busy while it runs, its error shown under it. */
function ToolForm({ title, testId, action, disabled, children, submitLabel }: { title: string; testId: string; action: () => Promise<void>; disabled: boolean; children: ReactNode; submitLabel: string }) {
  const { busy, error, setError, run } = useAction();
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void run(action);
  };
  return (
    <form className="panel tool-form" onSubmit={submit} data-testid={testId}>
      <h3>{title}</h3>
      {children}
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      <button type="submit" className="btn btn-primary" disabled={busy || disabled} data-testid={`${testId}-submit`}>
        {busy ? <span className="spinner" aria-hidden="true" /> : null}
        {submitLabel}
      </button>
    </form>
  );
}

export function BroadcastForm({ workshopId, disabled }: { workshopId: string; disabled: boolean }) {
  const t = useTranslations('classTools');
  const [message, setMessage] = useState('');
  const [delivered, setDelivered] = useState<number | null>(null);
  return (
    <ToolForm
      title={t('broadcastTitle')}
      testId="broadcast-form"
      submitLabel={t('broadcastSubmit')}
      disabled={disabled || !message.trim()}
      action={async () => {
        setDelivered((await broadcast(workshopId, message.trim())).delivered);
        setMessage('');
      }}
    >
      <textarea rows={2} maxLength={500} value={message} onChange={(e) => setMessage(e.target.value)} placeholder={t('broadcastPlaceholder')} aria-label={t('message')} data-testid="broadcast-message" />
      {delivered !== null ? (
        <p className="muted" role="status" data-testid="broadcast-delivered">
          {t('delivered', { count: delivered })}
        </p>
      ) : null}
    </ToolForm>
  );
}

export function PushFileForm({ workshopId, disabled }: { workshopId: string; disabled: boolean }) {
  const t = useTranslations('classTools');
  const [path, setPath] = useState('');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [results, setResults] = useState<LearnerResult[] | null>(null);
  return (
    <ToolForm
      title={t('pushTitle')}
      testId="push-file-form"
      submitLabel={t('pushSubmit')}
      disabled={disabled || !path.trim() || (!file && !text)}
      action={async () => {
        const content = file ? bytesToBase64(new Uint8Array(await file.arrayBuffer())) : textToBase64(text);
        setResults((await pushFile(workshopId, path.trim(), content)).results);
      }}
    >
      <input value={path} onChange={(e) => setPath(e.target.value)} placeholder={t('pathPlaceholder')} aria-label={t('path')} data-testid="push-file-path" />
      <input
        type="file"
        aria-label={t('file')}
        data-testid="push-file-picker"
        onChange={(e) => {
          const picked = e.target.files?.[0] ?? null;
          setFile(picked);
          if (picked && !path.trim()) setPath(picked.name);
        }}
      />
      {file ? null : <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder={t('contentPlaceholder')} aria-label={t('content')} data-testid="push-file-content" />}
      {results ? <LearnerResults results={results} testId="push-file-results" /> : null}
    </ToolForm>
  );
}

export function RunCommandForm({ workshopId, disabled }: { workshopId: string; disabled: boolean }) {
  const t = useTranslations('classTools');
  const [command, setCommand] = useState('');
  const [results, setResults] = useState<LearnerResult[] | null>(null);
  return (
    <ToolForm
      title={t('runTitle')}
      testId="run-command-form"
      submitLabel={t('runSubmit')}
      disabled={disabled || !command.trim()}
      action={async () => setResults((await execEverywhere(workshopId, command)).results)}
    >
      <input className="mono" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="docker ps" aria-label={t('command')} data-testid="run-command" />
      {results ? <LearnerResults results={results} testId="run-command-results" /> : null}
    </ToolForm>
  );
}
