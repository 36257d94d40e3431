// A learner's extra shell tabs of one instance, remembered in the browser so a reload opens
// the same tabs (and, re-attaching, their screens). Shell 0 is the instance's main shell and
// always has its tab; the extra ones are numbered from 1.

import { MAIN_SHELL } from '@playground/contracts';

export function tabsStorageKey(sessionId: string, instanceId: string): string {
  return `playground.terminal.tabs.${sessionId}.${instanceId}`;
}

/** The extra shells stored for an instance: distinct whole numbers from 1 to 99, in order. */
export function parseOpenShells(raw: string | null): number[] {
  let value: unknown;
  try {
    value = raw === null ? [] : JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const numbers = value.filter((n): n is number => Number.isInteger(n) && n > MAIN_SHELL && n <= 99);
  return [...new Set(numbers)].sort((a, b) => a - b);
}

/** The number a new tab takes: the smallest one not open, so closed numbers are reused. */
export function nextShellNumber(open: readonly number[]): number {
  let n = MAIN_SHELL + 1;
  while (open.includes(n)) n++;
  return n;
}

/** A tab's name as the learner reads it: the main shell is "1". */
export function tabLabel(shell: number): string {
  return String(shell + 1);
}
