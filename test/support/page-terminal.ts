import type { Page } from 'playwright-core';

// The learner's terminal on the playground page, as a browser test reads and types into it:
// the visible xterm (the selected instance's).

export async function terminalText(page: Page): Promise<string> {
  return page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
}

/** Clicks into the visible terminal, types the line and presses Enter, as a person would. */
export async function typeInTerminal(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid="terminal"]:visible .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
