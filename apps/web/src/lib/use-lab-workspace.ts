'use client';

import type { LabView } from '@playground/labs/model';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError, createInstance, createSession, getSession, runScript } from './api-client';

// The session a lab runs in: its template's instances, their files written and setup run.
// The same browser coming back to the lab gets the same session while it lives (kept in
// localStorage under the lab's slug); a session that ended is replaced by a new one.

export type Workspace =
  | { kind: 'starting'; step: string }
  | { kind: 'ready'; sessionId: string; instances: Record<string, string> }
  | { kind: 'failed'; message: string };

interface Stored {
  sessionId: string;
  instances: Record<string, string>;
}

const storageKey = (slug: string) => `playground.lab.${slug}`;

function readStored(slug: string): Stored | null {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey(slug)) ?? 'null') as Stored | null;
    return value && typeof value.sessionId === 'string' && value.instances && typeof value.instances === 'object' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Makes `sessionId` this browser's session of the lab (a workshop's seat, whose instances the
 * server made from the lab's template): the lab page then resumes it instead of starting one.
 */
export function adoptLabSession(slug: string, sessionId: string, instances: Record<string, string>): void {
  localStorage.setItem(storageKey(slug), JSON.stringify({ sessionId, instances } satisfies Stored));
}

/** The stored session if it is still active with every instance of the template running. */
async function resumable(lab: LabView): Promise<Stored | null> {
  const stored = readStored(lab.slug);
  if (!stored) return null;
  try {
    const session = await getSession(stored.sessionId);
    const running = new Set(session.instances.filter((instance) => instance.status === 'running').map((instance) => instance.id));
    const complete = session.status === 'active' && lab.template.instances.every((instance) => running.has(stored.instances[instance.hostname] ?? ''));
    return complete ? stored : null;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 410)) return null;
    throw err;
  }
}

/** A shell command that writes `content` to `path` (base64 keeps any byte intact). */
function writeFileScript(file: LabView['template']['instances'][number]['files'][number]): string {
  const bytes = new TextEncoder().encode(file.content);
  const base64 = btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
  const path = `'${file.path.replace(/'/g, `'\\''`)}'`;
  return `mkdir -p "$(dirname ${path})" && printf '%s' '${base64}' | base64 -d > ${path} && chmod ${file.mode ?? '0644'} ${path}`;
}

type Translate = ReturnType<typeof useTranslations<'labWorkspace'>>;

async function startWorkspace(lab: LabView, report: (step: string) => void, t: Translate): Promise<Stored> {
  report(t('session'));
  // The shells greet in the language the lab is read in (an embed may ask for it with ?lang=).
  const session = await createSession(undefined, lab.language);
  const instances: Record<string, string> = {};
  for (const template of lab.template.instances) {
    report(t('instance', { hostname: template.hostname }));
    const created = await createInstance(session.id, template.hostname);
    if (!created) throw new Error(t('instanceMissing', { hostname: template.hostname }));
    instances[template.hostname] = created.id;
  }
  for (const template of lab.template.instances) {
    const instanceId = instances[template.hostname]!;
    for (const file of template.files) {
      report(t('writing', { path: file.path, hostname: template.hostname }));
      const result = await runScript(session.id, instanceId, writeFileScript(file));
      if (result.exitCode !== 0) throw new Error(`${t('writeFailed', { path: file.path, hostname: template.hostname })}: ${result.output.trim()}`);
    }
    if (template.setup) {
      report(t('preparing', { hostname: template.hostname }));
      const result = await runScript(session.id, instanceId, template.setup);
      if (result.exitCode !== 0) throw new Error(`${t('setupFailed', { hostname: template.hostname })}: ${result.output.trim()}`);
    }
  }
  const stored = { sessionId: session.id, instances };
  localStorage.setItem(storageKey(lab.slug), JSON.stringify(stored));
  return stored;
}

export function useLabWorkspace(lab: LabView | null) {
  const t = useTranslations('labWorkspace');
  const describeError = useDescribeError();
  // Kept in a ref: a language switch must not start the lab again.
  const words = useRef({ t, describeError });
  words.current = { t, describeError };
  const [workspace, setWorkspace] = useState<Workspace>({ kind: 'starting', step: t('loading') });
  const started = useRef<string | null>(null);

  const start = useCallback(async (target: LabView, fresh: boolean) => {
    try {
      const stored = fresh ? null : await resumable(target);
      const ready = stored ?? (await startWorkspace(target, (step) => setWorkspace({ kind: 'starting', step }), words.current.t));
      setWorkspace({ kind: 'ready', ...ready });
    } catch (err) {
      // Our own steps' errors are already in the page's language; the API's are translated here.
      setWorkspace({ kind: 'failed', message: err instanceof ApiError ? words.current.describeError(err) : err instanceof Error ? err.message : words.current.t('failed') });
    }
  }, []);

  // Once per lab (React may run effects twice in development).
  useEffect(() => {
    if (!lab || started.current === lab.slug) return;
    started.current = lab.slug;
    void start(lab, false);
  }, [lab, start]);

  const restart = useCallback(() => {
    if (!lab) return;
    localStorage.removeItem(storageKey(lab.slug));
    setWorkspace({ kind: 'starting', step: words.current.t('again') });
    void start(lab, true);
  }, [lab, start]);

  return { workspace, restart };
}
