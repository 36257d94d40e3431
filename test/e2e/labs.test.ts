import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A reader doing a lab in real Chromium against the real stack: the list in their language,
// the lab's template started (with its files written), a click typing a block into the
// terminal, Check failing with the hint before the step and passing after it, and the same
// session and progress after a reload.

/** The visible screen with wrapped lines joined (the lab's terminal is narrow). */
async function terminalText(page: Page): Promise<string> {
  return (await page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText()).replace(/\n/g, '');
}

async function waitForTerminal(page: Page, text: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await terminalText(page)).includes(text), { timeoutMs: timeoutMs, description: `the terminal to show ${text}` }).catch(async (error: Error) => {
    throw new Error(`${error.message}\n--- terminal shows ---\n${await terminalText(page).catch(() => '(none)')}`);
  });
}

describe('a reader doing a lab in the browser', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    stack = await startTestStack('e2e-labs', { web: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  });
  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('lists the labs in the reader\'s language', async () => {
    await page.goto(`${stack.baseUrl}/labs`);
    await page.getByTestId('lab-list').waitFor();
    const english = await page.getByTestId('lab-list').innerText();
    assert.match(english, /Running and inspecting containers/);
    assert.match(english, /Compose with two services/);
    await page.goto(`${stack.baseUrl}/labs?lang=ko`);
    await page.getByText('컨테이너 실행하고 살펴보기').waitFor();
  });

  it('starts the lab\'s instance with its files, runs clicked blocks, and checks the step', async () => {
    await page.goto(`${stack.baseUrl}/labs`);
    await page.getByText('Running and inspecting containers').click();
    await page.waitForURL(/\/labs\/run-and-inspect/);
    await page.getByTestId('lab-starting').waitFor({ state: 'detached', timeout: 120_000 });
    await waitForTerminal(page, 'root@node1');

    await page.getByTestId('check-step-1').click();
    await page.getByTestId('hint-step-1').waitFor();
    assert.match(await page.getByTestId('verdict-step-1').innerText(), /Not yet/);
    assert.match(await page.getByTestId('hint-step-1').innerText(), /docker logs web/);

    const step = page.locator('[data-step="1"]');
    await step.locator('[data-block="1.1"]').click();
    await waitForTerminal(page, '0.0.0.0:8080->80/tcp');
    await step.locator('[data-block="1.2"]').click();
    await waitForTerminal(page, 'Hello from a container', 30_000);

    await page.getByTestId('check-step-1').click();
    await eventually(async () => /Done/.test(await page.getByTestId('verdict-step-1').innerText()), { timeoutMs: 30_000, description: 'the check to pass' });
    assert.equal(await page.getByTestId('hint-step-1').count(), 0, 'the hint goes away');
    assert.equal(await page.getByTestId('lab-progress').innerText(), '1 / 4');
  });

  it('finishes the lab: every step\'s blocks clicked, every check green', async () => {
    const steps = await page.locator('[data-step]').count();
    for (let number = 2; number <= steps; number++) {
      const step = page.locator(`[data-step="${number}"]`);
      const blocks = step.locator('[data-block]');
      for (let index = 0; index < (await blocks.count()); index++) await blocks.nth(index).click();
      // The shell runs what was typed in order; check until the last block has done its part.
      await eventually(
        async () => {
          await page.getByTestId(`check-step-${number}`).click();
          await page.locator(`[data-step="${number}"][data-verdict="checking"]`).waitFor({ state: 'detached' });
          return (await step.getAttribute('data-verdict')) === 'passed';
        },
        { timeoutMs: 60_000, description: `step ${number}'s check to pass` },
      );
    }
    assert.equal(await page.getByTestId('lab-progress').innerText(), `${steps} / ${steps}`);
    await page.getByText('Every step is done').waitFor();
  });

  it('keeps the same session and the progress after a reload', async () => {
    const instanceBefore = await page.locator('.terminal-shell:visible').getAttribute('data-instance-id');
    await page.reload();
    await waitForTerminal(page, 'root@node1', 60_000);
    assert.equal(await page.locator('.terminal-shell:visible').getAttribute('data-instance-id'), instanceBefore, 'the same instance');
    await eventually(async () => (await page.getByTestId('lab-progress').innerText()) === '4 / 4', { timeoutMs: 15_000, description: 'progress kept' });
    assert.equal(await page.locator('[data-step="1"]').getAttribute('data-verdict'), 'passed');
  });

  it('an embedded lab asked for in Korean is read in Korean and its shell greets in Korean, in an en-US browser', async () => {
    // A reader who never did this lab here (the other tests' progress is kept per browser).
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-US' });
    try {
      const embedded = await context.newPage();
      await embedded.goto(`${stack.baseUrl}/embed/labs/run-and-inspect?lang=ko`);
      await embedded.getByText('컨테이너 실행하고 살펴보기').waitFor();
      await embedded.getByTestId('lab-starting').waitFor({ state: 'detached', timeout: 120_000 });
      await waitForTerminal(embedded, '인스턴스에 오신 것을 환영합니다');
    } finally {
      await context.close();
    }
  });

  it('says so when a lab does not exist', async () => {
    await page.goto(`${stack.baseUrl}/labs/no-such-lab`);
    await page.getByText('There is no lab "no-such-lab".').waitFor();
  });
});
