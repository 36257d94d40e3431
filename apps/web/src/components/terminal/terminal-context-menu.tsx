'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef } from 'react';

export interface ContextMenuActions {
  copy: () => void;
  paste: () => void;
  selectAll: () => void;
  search: () => void;
  clear: () => void;
}

/** The terminal's right-click menu, at the pointer; any click elsewhere or Escape closes it. */
export function TerminalContextMenu({
  at,
  canCopy,
  actions,
  onClose,
}: {
  at: { x: number; y: number };
  canCopy: boolean;
  actions: ContextMenuActions;
  onClose: () => void;
}) {
  const t = useTranslations('terminalTools');
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    menu.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    const away = (event: Event) => {
      if (!menu.current?.contains(event.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('blur', onClose);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('blur', onClose);
    };
  }, [onClose]);

  const item = (label: string, run: () => void, disabled = false) => (
    <button
      type="button"
      role="menuitem"
      disabled={disabled}
      onClick={() => {
        onClose();
        run();
      }}
    >
      {label}
    </button>
  );
  return (
    <div
      ref={menu}
      className="terminal-menu"
      role="menu"
      data-testid="terminal-menu"
      style={{ left: at.x, top: at.y }}
      onKeyDown={(event) => event.key === 'Escape' && onClose()}
    >
      {item(t('menu.copy'), actions.copy, !canCopy)}
      {item(t('menu.paste'), actions.paste)}
      {item(t('menu.selectAll'), actions.selectAll)}
      {item(t('menu.search'), actions.search)}
      {item(t('menu.clear'), actions.clear)}
    </div>
  );
}
