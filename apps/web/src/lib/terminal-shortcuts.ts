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

/** For the help overlay: the keys as a person reads them, and what they do. */
export const SHORTCUTS: ReadonlyArray<{ keys: string; does: string; action: TerminalAction }> = [
  { keys: 'Ctrl + Shift + C  or  Ctrl + Insert', does: 'Copy the selection', action: 'copy' },
  { keys: 'Ctrl + Shift + V  or  Shift + Insert', does: 'Paste', action: 'paste' },
  { keys: 'Ctrl + +', does: 'Larger text', action: 'fontBigger' },
  { keys: 'Ctrl + −', does: 'Smaller text', action: 'fontSmaller' },
  { keys: 'Ctrl + 0', does: 'Default text size', action: 'fontReset' },
  { keys: 'Ctrl + Shift + F', does: 'Search the scrollback', action: 'search' },
  { keys: 'Ctrl + Shift + Enter', does: 'Full screen on or off', action: 'fullscreen' },
  { keys: 'Ctrl + Shift + E', does: 'Open a new shell tab', action: 'newTab' },
  { keys: 'Ctrl + Shift + /', does: 'This list of shortcuts', action: 'help' },
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
