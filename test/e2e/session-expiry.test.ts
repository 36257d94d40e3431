import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SessionView } from '@playground/contracts';
import { launchBrowser } from '../support/browser.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A learner near the end of a session is told before it happens, in the page, and can put
// the notice away. (Sessions here live 4 minutes, so the 5-minute notice is due at once.)

describe('the session page warns before the session ends', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    stack = await startTestStack('e2e-expiry', { web: true, env: { SESSION_TTL_MINUTES: '4' } });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('shows the 5-minute notice, which can be dismissed', async () => {
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    await page.goto(`${stack.baseUrl}/p/${session.body.id}`);
    const notice = page.getByTestId('expiry-warning');
    await notice.waitFor({ timeout: 30_000 });
    assert.match(await notice.innerText(), /ends in less than 5 minutes/);
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await notice.waitFor({ state: 'detached', timeout: 5_000 });
  });
});
