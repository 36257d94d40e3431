import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { typeLine, waitForScreen } from '../support/page-terminal.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A learner follows today's tutorials in the browser: writes a two-service project in the
// instance, `docker compose up -d` builds both images with BuildKit (COPY of the files just
// written; busybox comes from the node's registry mirror) and starts them, and the web
// service's page — which fetches from the other service by its compose name — opens
// through the instance's port URL.

describe('a learner runs a compose project in the browser', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    stack = await startTestStack('e2e-compose', { web: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('starts a session and completes `docker compo<Tab>` to the Compose v2 plugin', async () => {
    await page.goto(stack.baseUrl);
    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
    await waitForScreen(page, 'root@node1', 90_000);
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.type('docker compo');
    await page.keyboard.press('Tab');
    // Only a completed "compose" makes this a command that prints the version.
    await waitForScreen(page, /docker compose\s*$/m, 30_000);
    await page.keyboard.type(' version');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /^Docker Compose version v?2\.\d+/m);
  });

  it('writes a two-service project, builds and starts it with `docker compose up -d`', async () => {
    const httpd = `CMD ["httpd", "-f", "-p", "80", "-h", "/www"]`;
    await typeLine(page, 'mkdir -p ~/shop/api ~/shop/web/cgi-bin && cd ~/shop && echo from-the-api-service > api/index.html');
    await typeLine(page, `printf 'FROM busybox\\nCOPY index.html /www/\\n${httpd}\\n' > api/Dockerfile`);
    // The web service answers / with a CGI script that asks the api service by its name.
    await typeLine(
      page,
      `printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "web got: $(wget -qO- http://api/)"\\n' > web/cgi-bin/index.cgi && chmod +x web/cgi-bin/index.cgi`,
    );
    await typeLine(page, `printf 'FROM busybox\\nCOPY cgi-bin /www/cgi-bin\\n${httpd}\\n' > web/Dockerfile`);
    await typeLine(page, `printf 'services:\\n  api:\\n    build: ./api\\n  web:\\n    build: ./web\\n    ports: ["8080:80"]\\n    depends_on: [api]\\n' > compose.yaml`);
    await typeLine(page, 'clear; docker compose up -d && docker compose ps --format "{{.Service}}={{.State}}" && echo "compose up: $?"');
    await waitForScreen(page, /^compose up: 0\s*$/m, 240_000);
    await waitForScreen(page, /^api=running\s*$/m);
    await waitForScreen(page, /^web=running\s*$/m);
  });

  it("opens the web service's port page, which shows what it fetched from the api service", async () => {
    const badge = page.getByTestId('port-badge').filter({ hasText: '8080' });
    await badge.waitFor({ timeout: 60_000 });
    const [popup] = await Promise.all([page.waitForEvent('popup'), badge.click()]);
    await popup.waitForLoadState();
    assert.match(new URL(popup.url()).hostname, /^[a-z0-9]+-8080\.ports\.localhost$/);
    assert.match(await popup.locator('body').innerText(), /web got: from-the-api-service/);
    await popup.close();
  });
});
