import type { ITerminalOptions, ITheme } from '@xterm/xterm';
import type { TerminalThemeName } from '@/lib/terminal-preferences';

/** The look of every terminal in the product (the learner's and the instructor's watch view); size and colours come from the learner's preferences. */
export const TERMINAL_OPTIONS: ITerminalOptions = {
  cursorBlink: true,
  fontFamily: "ui-monospace, 'JetBrains Mono', 'Fira Code', 'Cascadia Code', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
  lineHeight: 1.15,
  scrollback: 5000,
  macOptionIsMeta: true,
  // Right click opens our copy/paste menu; it should act on the selection the learner made.
  rightClickSelectsWord: false,
  // The Unicode version switch (addon-unicode11) is one of xterm's proposed APIs.
  allowProposedApi: true,
};

const DARK: ITheme = {
  background: '#05080c',
  foreground: '#d8e0ea',
  cursor: '#38bdf8',
  cursorAccent: '#05080c',
  selectionBackground: '#264f78',
  black: '#1b2430',
  red: '#f87171',
  green: '#4ade80',
  yellow: '#fbbf24',
  blue: '#60a5fa',
  magenta: '#c084fc',
  cyan: '#22d3ee',
  white: '#d8e0ea',
  brightBlack: '#5a6a7d',
  brightRed: '#fca5a5',
  brightGreen: '#86efac',
  brightYellow: '#fde68a',
  brightBlue: '#93c5fd',
  brightMagenta: '#d8b4fe',
  brightCyan: '#67e8f9',
  brightWhite: '#ffffff',
};

/** Dark text on paper; the ANSI colours darkened so yellow and cyan stay readable on white. */
const LIGHT: ITheme = {
  background: '#fbfcfd',
  foreground: '#1f2933',
  cursor: '#0369a1',
  cursorAccent: '#fbfcfd',
  selectionBackground: '#b6d7f2',
  black: '#1f2933',
  red: '#c62828',
  green: '#2e7d32',
  yellow: '#a16207',
  blue: '#1d4ed8',
  magenta: '#7e22ce',
  cyan: '#0e7490',
  white: '#9aa5b1',
  brightBlack: '#52606d',
  brightRed: '#dc2626',
  brightGreen: '#15803d',
  brightYellow: '#b45309',
  brightBlue: '#2563eb',
  brightMagenta: '#9333ea',
  brightCyan: '#0891b2',
  brightWhite: '#323f4b',
};

export const TERMINAL_THEMES: Record<TerminalThemeName, ITheme> = { dark: DARK, light: LIGHT };

/** Search match colours per theme (the search addon wants #RRGGBB). */
export const SEARCH_DECORATIONS: Record<TerminalThemeName, { matchBackground: string; activeMatchBackground: string; matchOverviewRuler: string; activeMatchColorOverviewRuler: string }> = {
  dark: { matchBackground: '#3b4a1c', activeMatchBackground: '#a16207', matchOverviewRuler: '#a3e635', activeMatchColorOverviewRuler: '#fbbf24' },
  light: { matchBackground: '#fde68a', activeMatchBackground: '#f59e0b', matchOverviewRuler: '#ca8a04', activeMatchColorOverviewRuler: '#d97706' },
};
