import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FONT_SIZE_DEFAULT, FONT_SIZE_MAX, FONT_SIZE_MIN, PREFERENCE_KEYS, parseFontSize, parseTheme, readPreferences, stepFontSize } from './terminal-preferences.ts';

test('font size steps by one, stops at its bounds, and Ctrl 0 resets it', () => {
  assert.equal(stepFontSize(14, 1), 15);
  assert.equal(stepFontSize(14, -1), 13);
  assert.equal(stepFontSize(FONT_SIZE_MAX, 1), FONT_SIZE_MAX);
  assert.equal(stepFontSize(FONT_SIZE_MIN, -1), FONT_SIZE_MIN);
  assert.equal(stepFontSize(22, 0), FONT_SIZE_DEFAULT);
});

test('a stored font size is read back, clamped; garbage gives the default', () => {
  assert.equal(parseFontSize('18'), 18);
  assert.equal(parseFontSize('500'), FONT_SIZE_MAX);
  assert.equal(parseFontSize('1'), FONT_SIZE_MIN);
  assert.equal(parseFontSize('big'), FONT_SIZE_DEFAULT);
  assert.equal(parseFontSize(null), FONT_SIZE_DEFAULT);
});

test('the theme is the stored one, else what the system prefers', () => {
  assert.equal(parseTheme('light', true), 'light');
  assert.equal(parseTheme('dark', false), 'dark');
  assert.equal(parseTheme(null, true), 'dark');
  assert.equal(parseTheme(null, false), 'light');
  assert.equal(parseTheme('neon', false), 'light');
});

test('preferences are read from their own keys', () => {
  const stored: Record<string, string> = { [PREFERENCE_KEYS.fontSize]: '20', [PREFERENCE_KEYS.theme]: 'light' };
  assert.deepEqual(readPreferences((key) => stored[key] ?? null, true), { fontSize: 20, theme: 'light' });
  assert.deepEqual(readPreferences(() => null, true), { fontSize: FONT_SIZE_DEFAULT, theme: 'dark' });
});
