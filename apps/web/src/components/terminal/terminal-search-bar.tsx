'use client';

import type { SearchAddon } from '@xterm/addon-search';
import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState, type RefObject } from 'react';
import type { TerminalThemeName } from '@/lib/terminal-preferences';
import { SEARCH_DECORATIONS } from './terminal-theme';

/** Finds text in a terminal's scrollback (addon-search), with the count of matches. */
export function TerminalSearchBar({
  search,
  theme,
  onClose,
}: {
  search: RefObject<SearchAddon | null>;
  theme: TerminalThemeName;
  onClose: () => void;
}) {
  const t = useTranslations('terminalTools');
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number } | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    const addon = search.current;
    const subscription = addon?.onDidChangeResults(({ resultIndex, resultCount }) => setResults({ index: resultIndex, count: resultCount }));
    return () => {
      subscription?.dispose();
      addon?.clearDecorations();
    };
  }, [search]);

  const find = (direction: 'next' | 'previous', incremental = false) => {
    const addon = search.current;
    if (!addon) return;
    if (!query) {
      addon.clearDecorations();
      setResults(null);
      return;
    }
    const options = { incremental, decorations: SEARCH_DECORATIONS[theme] };
    if (direction === 'next') addon.findNext(query, options);
    else addon.findPrevious(query, options);
  };

  // Searching as one types; the incremental search keeps the current match while it still fits.
  useEffect(() => find('next', true), [query]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <form
      className="terminal-search"
      role="search"
      data-testid="terminal-search"
      onSubmit={(event) => {
        event.preventDefault();
        find('next');
      }}
    >
      <input
        ref={input}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose();
          else if (event.key === 'Enter' && event.shiftKey) {
            event.preventDefault();
            find('previous');
          }
        }}
        placeholder={t('searchPlaceholder')}
        aria-label={t('searchPlaceholder')}
        data-testid="terminal-search-input"
      />
      <span className="terminal-search-count" data-testid="terminal-search-count" aria-live="polite">
        {results === null || !query ? '' : results.count === 0 ? t('noResults') : results.index < 0 ? t('manyMatches', { count: results.count }) : t('matchOf', { index: results.index + 1, count: results.count })}
      </span>
      <button type="button" className="icon-btn" onClick={() => find('previous')} aria-label={t('previousMatch')} title={t('previousMatchTitle')}>
        ↑
      </button>
      <button type="submit" className="icon-btn" aria-label={t('nextMatch')} title={t('nextMatchTitle')}>
        ↓
      </button>
      <button type="button" className="icon-btn" onClick={onClose} aria-label={t('closeSearch')} title={t('closeSearchTitle')}>
        ×
      </button>
    </form>
  );
}
