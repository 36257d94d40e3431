import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SHORTCUTS, shortcutFor, type KeyChord } from './terminal-shortcuts.ts';

const chord = (key: string, code: string, mods: Partial<KeyChord> = {}): KeyChord => ({
  key,
  code,
  ctrlKey: false,
  shiftKey: false,
  altKey: false,
  metaKey: false,
  ...mods,
});

test('terminal shortcuts are the chords the help overlay lists', () => {
  assert.equal(shortcutFor(chord('=', 'Equal', { ctrlKey: true })), 'fontBigger');
  assert.equal(shortcutFor(chord('+', 'Equal', { ctrlKey: true, shiftKey: true })), 'fontBigger');
  assert.equal(shortcutFor(chord('+', 'NumpadAdd', { ctrlKey: true })), 'fontBigger');
  assert.equal(shortcutFor(chord('-', 'Minus', { ctrlKey: true })), 'fontSmaller');
  assert.equal(shortcutFor(chord('0', 'Digit0', { ctrlKey: true })), 'fontReset');
  assert.equal(shortcutFor(chord('C', 'KeyC', { ctrlKey: true, shiftKey: true })), 'copy');
  assert.equal(shortcutFor(chord('Insert', 'Insert', { ctrlKey: true })), 'copy');
  assert.equal(shortcutFor(chord('Insert', 'Insert', { shiftKey: true })), 'paste');
  assert.equal(shortcutFor(chord('V', 'KeyV', { ctrlKey: true, shiftKey: true })), 'paste');
  assert.equal(shortcutFor(chord('F', 'KeyF', { ctrlKey: true, shiftKey: true })), 'search');
  assert.equal(shortcutFor(chord('?', 'Slash', { ctrlKey: true, shiftKey: true })), 'help');
  assert.equal(shortcutFor(chord('Enter', 'Enter', { ctrlKey: true, shiftKey: true })), 'fullscreen');
  assert.equal(shortcutFor(chord('E', 'KeyE', { ctrlKey: true, shiftKey: true })), 'newTab');
  assert.deepEqual(new Set(SHORTCUTS.map((s) => s.action)).size, SHORTCUTS.length, 'each action listed once');
});

test('keys the shell needs are left to the shell', () => {
  assert.equal(shortcutFor(chord('c', 'KeyC', { ctrlKey: true })), null, 'Ctrl+C interrupts');
  assert.equal(shortcutFor(chord('f', 'KeyF', { ctrlKey: true })), null, 'Ctrl+F moves the cursor');
  assert.equal(shortcutFor(chord('_', 'Minus', { ctrlKey: true, shiftKey: true })), null, "Ctrl+_ is readline's undo");
  assert.equal(shortcutFor(chord('=', 'Equal', { altKey: true, ctrlKey: true })), null);
  assert.equal(shortcutFor(chord('a', 'KeyA')), null);
  assert.equal(shortcutFor(chord('Insert', 'Insert')), null);
  assert.equal(shortcutFor(chord('Insert', 'Insert', { ctrlKey: true, shiftKey: true })), null);
});
