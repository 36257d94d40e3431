'use client';

import { useCallback, useSyncExternalStore } from 'react';
import {
  PREFERENCE_KEYS,
  readPreferences,
  stepFontSize,
  type TerminalPreferences,
  type TerminalThemeName,
} from '@/lib/terminal-preferences';

// The learner's terminal preferences as React state shared by every terminal on the page
// (and by other tabs of the browser, through the `storage` event), kept in localStorage.

const listeners = new Set<() => void>();
let cached: { key: string; value: TerminalPreferences } | undefined;
/** Where choices live when the browser refuses storage (privacy modes): this page only. */
const unstored = new Map<string, string>();

function storedValue(key: string): string | null {
  try {
    return window.localStorage.getItem(key) ?? unstored.get(key) ?? null;
  } catch {
    return unstored.get(key) ?? null;
  }
}

function prefersDark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? true;
}

function snapshot(): TerminalPreferences {
  const value = readPreferences(storedValue, prefersDark());
  // useSyncExternalStore needs the same object while nothing changed.
  const key = `${value.fontSize}/${value.theme}`;
  if (cached?.key !== key) cached = { key, value };
  return cached.value;
}

const SERVER_SNAPSHOT: TerminalPreferences = readPreferences(() => null, true);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === PREFERENCE_KEYS.fontSize || event.key === PREFERENCE_KEYS.theme) listener();
  };
  const scheme = window.matchMedia?.('(prefers-color-scheme: dark)');
  window.addEventListener('storage', onStorage);
  scheme?.addEventListener('change', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
    scheme?.removeEventListener('change', listener);
  };
}

function store(key: string, value: string): void {
  unstored.set(key, value);
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // not remembered across reloads, but applied to this page all the same
  }
  for (const listener of listeners) listener();
}

/** Font size and theme, and the ways to change them. */
export function useTerminalPreferences() {
  const preferences = useSyncExternalStore(subscribe, snapshot, () => SERVER_SNAPSHOT);
  const stepFont = useCallback((step: -1 | 0 | 1) => store(PREFERENCE_KEYS.fontSize, String(stepFontSize(snapshot().fontSize, step))), []);
  const setTheme = useCallback((theme: TerminalThemeName) => store(PREFERENCE_KEYS.theme, theme), []);
  return { preferences, stepFont, setTheme };
}
