'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '@/lib/terminal-shortcuts';

/** The terminal's keyboard shortcuts, from the same table the key handler reads. */
export function TerminalHelp({ onClose }: { onClose: () => void }) {
  const t = useTranslations('terminalTools');
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="terminal-help-backdrop" onClick={onClose}>
      <div
        className="terminal-help"
        role="dialog"
        aria-modal="true"
        aria-labelledby="terminal-help-title"
        data-testid="terminal-help"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => event.key === 'Escape' && onClose()}
      >
        <h2 id="terminal-help-title">{t('shortcuts')}</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((shortcut) => (
              <tr key={shortcut.action}>
                <td>
                  {shortcut.keys.map((keys, i) => (
                    <span key={keys}>
                      {i > 0 ? ` ${t('or')} ` : null}
                      <kbd>{keys}</kbd>
                    </span>
                  ))}
                </td>
                <td>{t(`does.${shortcut.action}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="terminal-help-more">
          {t('helpMore')}
        </p>
        <button ref={close} type="button" className="btn" onClick={onClose}>
          {t('close')}
        </button>
      </div>
    </div>
  );
}
