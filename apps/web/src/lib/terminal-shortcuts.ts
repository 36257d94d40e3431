// The terminal's keyboard shortcuts: one table, read by the key handler and by the help
// overlay, so what the overlay lists is what the keys do.

export type TerminalAction =
  | 'fontBigger'
  | 'fontSmaller'
  | 'fontReset'
  | 'copy'
  | 'paste'
  | 'search'
  | 'help'
  | 'fullscreen'
  | 'newTab';

/** What a key handler sees of a keydown (KeyboardEvent has all of it). */
export interface KeyChord {
  key: string;
  code: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** For the help overlay: the keys as a person reads them (alternatives), for each action; what it does is in the messages (`terminalTools.does`). */
export const SHORTCUTS: ReadonlyArray<{ keys: readonly string[]; action: TerminalAction }> = [
  { keys: ['Ctrl + Shift + C', 'Ctrl + Insert'], action: 'copy' },
  { keys: ['Ctrl + Shift + V', 'Shift + Insert'], action: 'paste' },
  { keys: ['Ctrl + +'], action: 'fontBigger' },
  { keys: ['Ctrl + −'], action: 'fontSmaller' },
  { keys: ['Ctrl + 0'], action: 'fontReset' },
  { keys: ['Ctrl + Shift + F'], action: 'search' },
  { keys: ['Ctrl + Shift + Enter'], action: 'fullscreen' },
  { keys: ['Ctrl + Shift + E'], action: 'newTab' },
  { keys: ['Ctrl + Shift + /'], action: 'help' },
];

/**
 * The terminal action a keydown asks for, or null when the key belongs to the shell. Only
 * Ctrl chords (and Shift/Ctrl + Insert) are taken: plain keys, Alt and Meta chords reach
 * the shell untouched, and so do Ctrl + letter (Ctrl+C must stay the interrupt).
 */
export function shortcutFor(chord: KeyChord): TerminalAction | null {
  if (chord.altKey || chord.metaKey) return null;
  if (chord.code === 'Insert') {
    if (chord.ctrlKey && !chord.shiftKey) return 'copy';
    if (chord.shiftKey && !chord.ctrlKey) return 'paste';
    return null;
  }
  if (!chord.ctrlKey) return null;
  if (chord.shiftKey) {
    switch (chord.code) {
      case 'KeyC':
        return 'copy';
      case 'KeyV':
        return 'paste';
      case 'KeyF':
        return 'search';
      case 'KeyE':
        return 'newTab';
      case 'Enter':
        return 'fullscreen';
      case 'Slash':
        return 'help';
    }
  }
  // By the character typed, so Ctrl + '+' works on layouts where '+' needs Shift.
  if (chord.key === '+' || chord.key === '=') return 'fontBigger';
  // Not '_': Ctrl + Shift + - is readline's undo (Ctrl+_) in the shell.
  if (chord.key === '-') return 'fontSmaller';
  if (chord.key === '0' && !chord.shiftKey) return 'fontReset';
  return null;
}
