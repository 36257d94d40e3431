import type { Page } from 'playwright-core';
import { eventually } from './eventually.ts';

// The visible terminal of a playground page, as a learner uses it: click it, type, read the
// rendered rows (xterm.js's DOM, what is on screen, not what the socket carried).

/** The text of the visible terminal's rows. */
export function screenText(page: Page): Promise<string> {
  return page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
}

/** Waits until the screen shows `text`; on timeout the error carries the screen. */
export async function waitForScreen(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const shows = (screen: string) => (typeof text === 'string' ? screen.includes(text) : text.test(screen));
  try {
    await eventually(async () => shows(await screenText(page)), { timeoutMs, description: `terminal to show ${text}` });
  } catch (error) {
    const screen = await screenText(page).catch(() => '(none)');
    throw new Error(`${(error as Error).message}\n--- terminal shows ---\n${screen}`);
  }
}

/** Focuses the terminal, types `line` and presses Enter. */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid="terminal"]:visible .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
