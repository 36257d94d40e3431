import type { Page } from 'playwright-core';
import { eventually } from '../../test/support/eventually.ts';
import type { Shooter } from './shooter.ts';

// A lab in pictures: its steps beside its terminal, a block run and its check passed.

export async function shootLab(shooter: Shooter): Promise<void> {
  const context = await shooter.newContext();
  const page = await context.newPage();
  await page.goto(`${shooter.stack.baseUrl}/labs/run-and-inspect`);
  await page.getByTestId('lab-starting').waitFor({ state: 'detached', timeout: 120_000 });
  await waitForJoinedScreen(page, 'root@node1');
  const step = page.locator('[data-step="1"]');
  await step.locator('[data-block="1.1"]').click();
  await waitForJoinedScreen(page, '0.0.0.0:8080->80/tcp');
  await step.locator('[data-block="1.2"]').click();
  await waitForJoinedScreen(page, 'Hello from a container');
  await page.getByTestId('check-step-1').click();
  await eventually(async () => /Done/.test(await page.getByTestId('verdict-step-1').innerText()), { timeoutMs: 60_000, description: 'the check to pass' });
  await shooter.shoot(page, 'lab');
  await context.close();
}

/** The lab's terminal is narrow: lines wrap, so compare the screen with its rows joined. */
async function waitForJoinedScreen(page: Page, text: string): Promise<void> {
  const screen = async () => (await page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText()).replace(/\n/g, '');
  await eventually(async () => (await screen()).includes(text), { timeoutMs: 120_000, description: `the terminal to show ${text}` });
}
