import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startForeignSite, type ForeignSite } from '../support/foreign-site.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A tutorial page on another origin (a second loopback port) with embed.js: a click on a block
// starts a session, types the block into the terminal the page placed, and the port the block
// published gets a link that opens the learner's page. A page whose origin is not allowed is
// told so in plain words.

function tutorialPage(base: string): string {
  return `<!doctype html><html><head><title>Tutorial</title><script src="${base}/embed.js" defer></script></head><body>
<h1>Publish a port</h1>
<pre data-playground id="serve">mkdir -p /tmp/www && echo embedded-port-ok > /tmp/www/index.html && docker run -d -p 8080:80 -v /tmp/www:/www busybox httpd -f -p 80 -h /www && echo started-web</pre>
<div data-playground-terminal style="height: 360px"></div>
</body></html>`;
}

/** A Korean tutorial (its <html lang>), read in a browser whose own language is English. */
function koreanPage(base: string): string {
  return `<!doctype html><html lang="ko"><head><title>튜토리얼</title><script src="${base}/embed.js" defer></script></head><body>
<h1>첫 번째 컨테이너</h1>
<div data-playground-terminal style="height: 360px"></div>
</body></html>`;
}

describe('embed.js on another site\'s page', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let allowed: ForeignSite;
  let refused: ForeignSite;

  before(async () => {
    // The allowed page's port must be known before the stack starts (EMBED_ORIGINS).
    allowed = await startForeignSite();
    refused = await startForeignSite();
    stack = await startTestStack('e2e-embed', { web: true, env: { EMBED_ORIGINS: allowed.origin } });
    const html = tutorialPage(stack.baseUrl);
    for (const site of [allowed, refused]) site.show(html);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await stack?.teardown();
    allowed?.server.close();
    refused?.server.close();
  });

  it('runs a clicked block in the terminal the page placed, and links the port it published', async () => {
    await page.goto(allowed.origin);
    await page.locator('#serve').click();
    const terminal = page.frameLocator('[data-playground-terminal] iframe').locator('.xterm-rows');
    await eventually(async () => (await terminal.innerText().catch(() => '')).replace(/\n/g, '').includes('started-web'), { timeoutMs: 120_000, description: 'the block to run in the embedded terminal' });

    const link = page.locator('.playground-embed-ports a', { hasText: 'port 8080' });
    await link.waitFor({ timeout: 60_000 });
    const href = (await link.getAttribute('href'))!;
    assert.match(href, /^http:\/\/[a-z2-7]+-8080\.ports\.localhost:\d+\/$/);
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    // The link appears once the port is seen listening; the first load may still meet the
    // server starting up, so the page is loaded again until it answers, as a learner would.
    await eventually(
      async () => {
        if (/embedded-port-ok/.test(await popup.locator('body').innerText().catch(() => ''))) return true;
        await popup.reload().catch(() => undefined);
        return /embedded-port-ok/.test(await popup.locator('body').innerText().catch(() => ''));
      },
      { timeoutMs: 60_000, description: 'the port page' },
    );
  });

  it("greets in the embedding page's language, whatever the browser's", async () => {
    allowed.show(koreanPage(stack.baseUrl));
    const korean = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    try {
      await korean.goto(allowed.origin);
      await korean.locator('[data-playground-terminal] button').click();
      const frame = korean.frameLocator('[data-playground-terminal] iframe');
      await eventually(async () => (await frame.locator('.xterm-rows').innerText().catch(() => '')).includes('인스턴스에 오신 것을 환영합니다'), {
        timeoutMs: 120_000,
        description: 'the Korean welcome in the embedded terminal',
      });
      assert.doesNotMatch(await frame.locator('.xterm-rows').innerText(), /Welcome to your Playground instance/);
      // The frame speaks the page's language too.
      assert.equal(await frame.getByTestId('terminal-tab-add').getAttribute('aria-label'), '새 셸 열기', 'ko.json terminalTools.newShell');
    } finally {
      await korean.close();
    }
  });

  it('tells a page from an origin that is not allowed, in words', async () => {
    await page.goto(refused.origin);
    await page.locator('#serve').click();
    await eventually(
      async () => /not allowed to embed the playground/.test(await page.locator('.playground-embed-status').first().innerText()),
      { timeoutMs: 30_000, description: 'the refusal to be shown' },
    );
  });
});
