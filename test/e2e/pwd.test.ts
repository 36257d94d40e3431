import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startForeignSite, type ForeignSite } from '../support/foreign-site.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { eventually } from '../support/eventually.ts';

// A tutorial written for Play with Docker, on its own site (another loopback port), with only
// its base URL pointing here. Its script is a PWD client written from the protocol: start a
// session cross-origin with credentials, add an instance, open the session's WebSocket, run a
// clicked block in the instance's terminal, and build the port link in PWD's direct host form.

function tutorialPage(base: string): string {
  return `<!doctype html><html><head><title>PWD tutorial</title></head><body>
<h1>Publish a port</h1>
<p id="status">starting</p>
<pre class="run" id="serve">docker run -d -p 8080:80 busybox sh -c "mkdir -p /www && echo pwd-tutorial-ok > /www/index.html && httpd -f -p 80 -h /www" && echo started-web</pre>
<pre id="terminal"></pre>
<a id="port" href="#" target="_blank" hidden>port 8080</a>
<script>
const base = ${JSON.stringify(base)};
const status = (text) => (document.getElementById('status').textContent = text);
(async () => {
  const started = await fetch(base + '/', {
    method: 'POST', credentials: 'include',
    headers: { 'X-Requested-With': 'XMLHttpRequest', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'session-duration=90m',
  });
  if (!started.ok) return status('session refused: ' + started.status);
  const { session_id, hostname } = await started.json();
  const api = 'http://' + hostname + '/sessions/' + session_id;
  const made = await fetch(api + '/instances', {
    method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ Hostname: 'node1', ImageName: 'franela/dind' }),
  });
  if (!made.ok) return status('instance refused: ' + made.status);
  const instance = await made.json();
  const ws = new WebSocket('ws://' + hostname + '/sessions/' + session_id + '/ws/');
  ws.onmessage = (event) => {
    const { name, args } = JSON.parse(event.data);
    if (name === 'instance terminal out' && args[0] === instance.name) document.getElementById('terminal').textContent += args[1];
  };
  ws.onopen = () => {
    ws.send(JSON.stringify({ name: 'instance viewport resize', args: [120, 40] }));
    status('ready ' + instance.hostname);
  };
  for (const block of document.querySelectorAll('pre.run')) {
    block.onclick = () => ws.send(JSON.stringify({ name: 'instance terminal in', args: [instance.name, block.textContent + '\\r'] }));
  }
  const link = document.getElementById('port');
  link.href = 'http://' + instance.proxy_host + '-8080.direct.' + hostname + '/';
  link.hidden = false;
  window.addEventListener('pagehide', () => navigator.sendBeacon(api + '/close'));
})().catch((error) => status('failed: ' + error.message));
</script>
</body></html>`;
}


describe('a Play with Docker tutorial on another site, pointed here', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let allowed: ForeignSite;
  let refused: ForeignSite;

  before(async () => {
    allowed = await startForeignSite();
    refused = await startForeignSite();
    stack = await startTestStack('e2e-pwd', { web: true, env: { EMBED_ORIGINS: allowed.origin } });
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

  it('starts a session and an instance, runs a clicked block in the terminal, and opens the direct port link', async () => {
    await page.goto(allowed.origin);
    await eventually(async () => (await page.locator('#status').innerText()) === 'ready node1', { timeoutMs: 120_000, description: 'the PWD session to be ready' });
    await eventually(async () => /root@node1/.test(await page.locator('#terminal').innerText()), { timeoutMs: 60_000, description: 'the prompt' });
    await page.locator('#serve').click();
    await eventually(async () => /started-web/.test(await page.locator('#terminal').innerText()), { timeoutMs: 120_000, description: 'the block to run' });

    const link = page.locator('#port');
    const href = (await link.getAttribute('href'))!;
    assert.match(href, /^http:\/\/[a-z2-7]{26}-8080\.direct\.localhost:\d+\/$/);
    const popup = await browser.newPage();
    await eventually(
      async () => {
        await popup.goto(href).catch(() => undefined);
        return /pwd-tutorial-ok/.test(await popup.locator('body').innerText().catch(() => ''));
      },
      { timeoutMs: 60_000, description: 'the port page at the direct host' },
    );
    await popup.close();
  });

  it('refuses a session to a page whose origin is not allowed', async () => {
    await page.goto(refused.origin);
    await eventually(async () => /^failed|refused/.test(await page.locator('#status').innerText()), { timeoutMs: 30_000, description: 'the refusal' });
  });
});
