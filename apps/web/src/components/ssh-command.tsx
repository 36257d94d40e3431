'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';

/**
 * The command that opens the instance's shell from the learner's own machine (the API's
 * `ssh` field), with a copy button. Where the page cannot write the clipboard (plain http
 * beyond localhost), the command is selected instead, for Ctrl+C.
 */
export function SshCommand({ command }: { command: string }) {
  const t = useTranslations('ssh');
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');
  const text = useRef<HTMLElement>(null);

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(command);
      setState('copied');
    } catch {
      const selection = window.getSelection();
      if (text.current && selection) selection.selectAllChildren(text.current);
      setState('selected');
    }
  }

  return (
    <div className="ssh-command" data-testid="ssh-command">
      <code ref={text} title={t('hint')}>
        {command}
      </code>
      <button type="button" className="btn" data-testid="ssh-copy" onClick={() => void copy()}>
        {state === 'copied' ? t('copied') : state === 'selected' ? t('pressCtrlC') : t('copy')}
      </button>
    </div>
  );
}
