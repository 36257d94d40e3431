'use client';

import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '@/lib/terminal-shortcuts';

/** The terminal's keyboard shortcuts, from the same table the key handler reads. */
export function TerminalHelp({ onClose }: { onClose: () => void }) {
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
        <h2 id="terminal-help-title">Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((shortcut) => (
              <tr key={shortcut.action}>
                <td>
                  <kbd>{shortcut.keys}</kbd>
                </td>
                <td>{shortcut.does}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="terminal-help-more">
          Selecting text copies it. Right-click for copy and paste. Click a link to open it in a new tab.
        </p>
        <button ref={close} type="button" className="btn" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
