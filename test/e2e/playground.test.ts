import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// The learner's path through the real product: real Chromium on the real pages, the real
// orchestrator, node agent, Docker engine and Docker-in-Docker instances. Each `it` is one
// step of the story and they run in order on one session.

const run = promisify(execFile);
const MAX_INSTANCES = 2;

async function terminalText(page: Page): Promise<string> {
  return page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
}

async function waitForTerminal(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const screen = await terminalText(page);
      return typeof text === 'string' ? screen.includes(text) : text.test(screen);
    },
    { timeoutMs: timeoutMs, description: `terminal to show ${text}` },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n--- terminal shows ---\n${await terminalText(page).catch(() => '(none)')}`);
  });
}

async function typeInTerminal(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid="terminal"]:visible .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

async function dockerIds(filter: string): Promise<string[]> {
  const lists = await Promise.all([
    run('docker', ['ps', '-a', '--filter', filter, '--format', '{{.ID}}']),
    run('docker', ['network', 'ls', '--filter', filter, '--format', '{{.ID}}']),
    run('docker', ['volume', 'ls', '--filter', filter, '--format', '{{.Name}}']),
  ]);
  return lists.flatMap(({ stdout }) => stdout.split('\n').filter(Boolean));
}

/** The container named for an instance, and every volume whose name carries its id. */
async function instanceTraces(instanceId: string): Promise<string[]> {
  const [containers, volumes] = await Promise.all([
    run('docker', ['ps', '-a', '--filter', `name=playground-${instanceId}`, '--format', '{{.Names}}']),
    run('docker', ['volume', 'ls', '--filter', `name=${instanceId}`, '--format', '{{.Name}}']),
  ]);
  return [...containers.stdout.split('\n'), ...volumes.stdout.split('\n')].filter(Boolean);
}

describe('a learner in the browser', { timeout: 15 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let sessionId = '';
  let startedAt = 0;
  let firstInstanceId = '';

  before(async () => {
    stack = await startTestStack('e2e', { web: true, env: { MAX_INSTANCES_PER_SESSION: String(MAX_INSTANCES) } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('1. starts a session from the landing page, with the template picked there, and sees its countdown', async () => {
    await page.goto(stack.baseUrl);
    const picker = page.getByTestId('template-picker');
    await picker.waitFor({ timeout: 30_000 });
    const offered = await picker.innerText();
    for (const title of ['One host', 'Swarm, 3 managers + 2 workers', 'Two hosts']) assert.ok(offered.includes(title), `the landing page offers "${title}"`);
    assert.equal(await picker.locator('input[value="single"]').isChecked(), true, 'one host is picked unless the learner picks another');
    startedAt = Date.now();
    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
    sessionId = page.url().split('/p/')[1]!;
    const first = await page.getByTestId('countdown').innerText();
    assert.match(first, /^(3:59:\d\d|4:00:00)$/, `a fresh session shows about 4 hours left, saw "${first}"`);
    await eventually(async () => (await page.getByTestId('countdown').innerText()) !== first, { timeoutMs: 5_000, description: 'the countdown to tick' });
  });

  it("2. the template's instance appears with hostname, IP and a root shell prompt", async () => {
    await page.getByTestId('instance-item').first().waitFor({ timeout: 90_000 });
    await waitForTerminal(page, 'root@node1', 90_000);
    console.log(`# time from "Start" to the first prompt: ${Date.now() - startedAt} ms`);
    const item = await page.getByTestId('instance-item').first().innerText();
    assert.match(item, /node1/);
    assert.match(item, /\d+\.\d+\.\d+\.\d+/, 'the instance shows its IP');
    const session = await stack.api<{ instances: Array<{ id: string; status: string }> }>('GET', `/api/v1/sessions/${sessionId}`);
    assert.equal(session.body.instances[0]?.status, 'running');
    firstInstanceId = session.body.instances[0]!.id;
  });

  it('3. types in a real shell: tab completion, Ctrl-C, docker run, docker build, docker-compose', async () => {
    await typeInTerminal(page, 'whoami; echo "TERM=$TERM"');
    await waitForTerminal(page, 'TERM=xterm-256color');
    // Tab completion: "hostnam<Tab>" completes to the hostname command.
    await page.keyboard.type('hostnam');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitForTerminal(page, /hostname\s*\n\s*node1/);
    // Ctrl-C once the command runs (as a person would): pressed while bash is still
    // handing the terminal to it, the signal would reach bash instead.
    await typeInTerminal(page, 'echo sleeping-now; sleep 300');
    await waitForTerminal(page, /^sleeping-now\s*$/m);
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+C');
    await typeInTerminal(page, 'echo "interrupted=$?"');
    await waitForTerminal(page, 'interrupted=130');
    await typeInTerminal(page, 'docker run --rm busybox echo hello-from-inner-container');
    await waitForTerminal(page, /^hello-from-inner-container\s*$/m, 120_000);
    await typeInTerminal(page, `printf 'FROM busybox\\nRUN echo built > /built\\nCMD cat /built\\n' | docker build -q -t learner/app - && docker run --rm learner/app`);
    await waitForTerminal(page, /^built\s*$/m, 120_000);
    await typeInTerminal(page, 'docker-compose version --short && for t in curl git vim less; do command -v $t; done');
    await waitForTerminal(page, '/usr/bin/less', 30_000);
  });

  it('4. publishes a port inside the instance and opens it through its public URLs', async () => {
    await typeInTerminal(
      page,
      'docker run -d -p 8080:80 busybox sh -c "mkdir -p /www && echo port-page-ok > /www/index.html && httpd -f -p 80 -h /www"',
    );
    const badge = page.getByTestId('port-badge').filter({ hasText: '8080' });
    await badge.waitFor({ timeout: 60_000 });
    const href = await badge.getAttribute('href');
    assert.equal(href, `http://${firstInstanceId}-8080.ports.localhost:${stack.options.port}/`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), badge.click()]);
    await popup.waitForLoadState();
    assert.match(await popup.locator('body').innerText(), /port-page-ok/);
    await popup.close();

    const pathForm = await fetch(`${stack.baseUrl.replace('localhost', '127.0.0.1')}/ports/${firstInstanceId}/8080/`);
    assert.equal(pathForm.status, 200);
    assert.match(await pathForm.text(), /port-page-ok/);

    // "Open port" opens any port by number, even one nothing listens on yet.
    await page.getByTestId('open-port-input').fill('9090');
    const [opened] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('open-port-button').click()]);
    assert.equal(opened.url(), `http://${firstInstanceId}-9090.ports.localhost:${stack.options.port}/`);
    await opened.close();
  });

  it('5. reloads the page and finds the same shell with its recent screen', async () => {
    await typeInTerminal(page, 'export KEPT=still-here; echo marker-before-reload');
    await waitForTerminal(page, /^marker-before-reload\s*$/m);
    await page.reload();
    await waitForTerminal(page, 'marker-before-reload', 30_000);
    await typeInTerminal(page, 'echo "kept=$KEPT"');
    await waitForTerminal(page, 'kept=still-here');
  });

  it(`5b. is told clearly when the session is at its limit of ${MAX_INSTANCES} instances`, async () => {
    await page.getByTestId('add-instance').click();
    await eventually(async () => (await page.getByTestId('instance-item').count()) === 2, { timeoutMs: 90_000, description: 'a second instance' });
    await page.getByTestId('add-instance').click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ timeout: 30_000 });
    assert.match(await banner.innerText(), new RegExp(`${MAX_INSTANCES} instances`));
    // node2 reaches node1 by hostname on the session's private network.
    await page.getByTestId('instance-item').filter({ hasText: 'node2' }).click();
    await waitForTerminal(page, 'root@node2', 60_000);
    await typeInTerminal(page, 'ping -c 1 -W 2 node1 >/dev/null && echo reached-node1');
    await waitForTerminal(page, /^reached-node1\s*$/m);
  });

  it('6. deletes an instance and closes the session: nothing is left behind', async () => {
    const session = await stack.api<{ instances: Array<{ id: string; hostname: string }> }>('GET', `/api/v1/sessions/${sessionId}`);
    const node2Id = session.body.instances.find((instance) => instance.hostname === 'node2')!.id;
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('instance-item').filter({ hasText: 'node2' }).getByTestId('delete-instance').click();
    await eventually(async () => (await page.getByTestId('instance-item').count()) === 1, { timeoutMs: 30_000, description: 'node2 to leave the list' });
    // A warm-pool instance keeps its pool labels (labels cannot change), so look for the
    // instance's container by name as well as for anything labelled with it.
    await eventually(async () => (await instanceTraces(node2Id)).length === 0, { timeoutMs: 30_000, description: 'node2 container and volumes removed' });

    // A new instance after a deletion: the page shows no guessed name while it waits, then the
    // name the server gave (names are never reused, so this is node3, not node2).
    await page.getByTestId('add-instance').click();
    const pendingRow = page.getByTestId('pending-instance');
    if (await pendingRow.count()) assert.doesNotMatch(await pendingRow.innerText().catch(() => ''), /node\d/);
    await page.getByTestId('instance-item').filter({ hasText: 'node3' }).waitFor({ timeout: 90_000 });
    assert.equal(await page.getByTestId('instance-item').filter({ hasText: 'node2' }).count(), 0);
    await waitForTerminal(page, 'root@node3', 60_000);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('close-session').click();
    await page.getByTestId('session-ended').waitFor({ timeout: 30_000 });
    await eventually(
      async () => (await dockerIds(`label=playground.session=${sessionId}`)).length + (await instanceTraces(firstInstanceId)).length === 0,
      { timeoutMs: 60_000, description: 'every container, network and volume of the session removed' },
    );
    const gone = await stack.api('GET', `/api/v1/sessions/${sessionId}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await stack.leftovers(), [], 'nothing but idle warm-pool members is left on the node');
  });
});
