import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// The learner's terminal as a native one feels, in real Chromium against the real stack: text
// size and theme that survive a reload, search in the scrollback, copy on selection and
// Shift+Insert paste through the real clipboard, the shortcuts overlay, Korean text on the
// right cells, and extra shells in tabs that are shells of their own and survive a reload.

const SHELLS = 2;
/** TERMINAL_SHELL_IDLE_MINUTES of this stack: 15 s, far above a reload, short enough to wait out. */
const IDLE_MINUTES = 0.25;

describe('a terminal that feels native', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const screen = () => page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
  const waitForTerminal = async (text: string | RegExp, timeoutMs = 30_000) => {
    await eventually(
      async () => {
        const shown = await screen();
        return typeof text === 'string' ? shown.includes(text) : text.test(shown);
      },
      { timeoutMs, description: `terminal to show ${text}` },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n--- terminal shows ---\n${await screen().catch(() => '(none)')}`);
    });
  };
  const typeLine = async (line: string) => {
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  };
  /** What xterm drew the rows with, and its background: what the learner sees of size and theme. */
  const looks = () =>
    page.evaluate<{ fontSize: string; colour: string; background: string }>(`(() => {
      const rows = [...document.querySelectorAll('[data-testid="terminal"] .xterm-rows')].find((el) => el.offsetParent !== null);
      return {
        fontSize: getComputedStyle(rows).fontSize,
        colour: getComputedStyle(rows).color,
        background: getComputedStyle(rows.closest('.xterm').querySelector('.xterm-viewport')).backgroundColor,
      };
    })()`);
  /** The system clipboard, through the page (the context was granted clipboard access). */
  const readClipboard = () => page.evaluate<string>('navigator.clipboard.readText()');
  const writeClipboard = (text: string) => page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(text)})`);

  before(async () => {
    stack = await startTestStack('e2e-term', { web: true, env: { TERMINAL_SHELLS_PER_INSTANCE: String(SHELLS), TERMINAL_SHELL_IDLE_MINUTES: String(IDLE_MINUTES) } });
    browser = await launchBrowser();
    context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      colorScheme: 'dark',
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = await context.newPage();
    await page.goto(stack.baseUrl);
    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
    await waitForTerminal('root@node1', 120_000);
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('text size (Ctrl +/−) and the theme are kept across a reload', async () => {
    const DARK = { colour: 'rgb(216, 224, 234)', background: 'rgb(5, 8, 12)' };
    const LIGHT = { colour: 'rgb(31, 41, 51)', background: 'rgb(251, 252, 253)' };
    assert.deepEqual(await looks(), { fontSize: '14px', ...DARK }, 'dark by default when the system prefers dark');
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.press('Control+Equal');
    await page.keyboard.press('Control+Equal');
    await page.keyboard.press('Control+Equal');
    await page.keyboard.press('Control+Minus');
    await eventually(async () => (await looks()).fontSize === '16px', { timeoutMs: 5_000, description: 'text at 16px' });
    assert.equal(await page.getByTestId('terminal-font-size').innerText(), '16');
    await page.getByTestId('terminal-theme').click();
    await eventually(async () => (await looks()).colour === LIGHT.colour, { timeoutMs: 5_000, description: 'the light theme' });
    assert.deepEqual(await looks(), { fontSize: '16px', ...LIGHT });

    await page.reload();
    await waitForTerminal('root@node1');
    assert.deepEqual(await looks(), { fontSize: '16px', ...LIGHT });
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.press('Control+Digit0');
    await eventually(async () => (await looks()).fontSize === '14px', { timeoutMs: 5_000, description: 'Ctrl 0: the default size' });
  });

  it('Korean text takes two cells a character: the cursor ends where the shell expects', async () => {
    // The terminal itself answers where its cursor is (DSR, ESC[6n): the column after 5
    // wide characters and a space is 12.
    await typeLine(`clear; printf '한국어 정렬'; IFS='[;' read -s -d R -p $'\\e[6n' _ row col; echo " col=$col"`);
    await waitForTerminal(/^한국어 정렬 col=\d+/m);
    assert.match(await screen(), /^한국어 정렬 col=12\s*$/m);
  });

  it('search finds text that scrolled out of view', async () => {
    await typeLine('echo needle-$((40+2)); seq 1 300');
    await waitForTerminal(/^300\s*$/m);
    assert.doesNotMatch(await screen(), /needle-42/, 'scrolled out of view');
    await page.keyboard.press('Control+Shift+KeyF');
    await page.getByTestId('terminal-search-input').fill('needle-42');
    await eventually(async () => (await page.getByTestId('terminal-search-count').innerText()) === '1 of 1', { timeoutMs: 5_000, description: 'one match' });
    await waitForTerminal(/^needle-42\s*$/m, 5_000);
    await page.getByTestId('terminal-search-input').press('Escape');
    assert.equal(await page.getByTestId('terminal-search').count(), 0);
  });

  it('selecting copies to the clipboard; Shift+Insert pastes', async () => {
    await typeLine('clear; echo SELECTME');
    await waitForTerminal(/^SELECTME\s*$/m);
    const box = (await page.locator('[data-testid="terminal"]:visible .xterm-screen').boundingBox())!;
    const rows = await page.locator('[data-testid="terminal"]:visible .xterm-rows > div').count();
    const cellHeight = box.height / rows;
    await page.mouse.dblclick(box.x + 20, box.y + cellHeight / 2);
    await eventually(async () => (await readClipboard()) === 'SELECTME', {
      timeoutMs: 5_000,
      description: 'the selected word on the clipboard',
    });

    await writeClipboard('echo pasted-$((3*3))');
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.press('Shift+Insert');
    await waitForTerminal('# echo pasted-$((3*3))'); // the clipboard is read asynchronously: Enter after the paste
    await page.keyboard.press('Enter');
    await waitForTerminal(/^pasted-9\s*$/m);
  });

  it('the right-click menu copies and pastes', async () => {
    await typeLine('clear; echo MENUWORD');
    await waitForTerminal(/^MENUWORD\s*$/m);
    await writeClipboard('');
    const box = (await page.locator('[data-testid="terminal"]:visible .xterm-screen').boundingBox())!;
    await page.mouse.click(box.x + 200, box.y + 200, { button: 'right' });
    await page.getByTestId('terminal-menu').getByRole('menuitem', { name: 'Select all' }).click();
    await eventually(async () => (await readClipboard()).includes('MENUWORD'), {
      timeoutMs: 5_000,
      description: 'the whole screen on the clipboard',
    });
    await writeClipboard('echo from-menu-$((5+5))');
    await page.mouse.click(box.x + 200, box.y + 200, { button: 'right' });
    await page.getByTestId('terminal-menu').getByRole('menuitem', { name: 'Paste' }).click();
    await waitForTerminal('# echo from-menu-$((5+5))');
    await page.keyboard.press('Enter');
    await waitForTerminal(/^from-menu-10\s*$/m);
  });

  it('Ctrl+Shift+/ lists the keyboard shortcuts', async () => {
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.press('Control+Shift+Slash');
    const help = page.getByTestId('terminal-help');
    await help.waitFor({ timeout: 5_000 });
    const text = await help.innerText();
    for (const keys of ['Ctrl + Shift + F', 'Shift + Insert', 'Ctrl + Insert', 'Ctrl + +', 'Ctrl + 0', 'Ctrl + Shift + Enter']) {
      assert.ok(text.includes(keys), `the overlay lists ${keys}`);
    }
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('a second tab is a shell of its own; both come back after a reload; the limit is said plainly', async () => {
    await typeLine('clear; echo main-pid=$$');
    await waitForTerminal(/^main-pid=\d+\s*$/m);
    const mainPid = /^main-pid=(\d+)/m.exec(await screen())![1];
    await page.getByTestId('terminal-tab-add').click();
    assert.equal(await page.getByTestId('terminal-tab').count(), 2);
    await waitForTerminal(/root@node1:~#\s*$/, 60_000);
    await typeLine('echo tab2-pid=$$');
    await waitForTerminal(/^tab2-pid=\d+\s*$/m);
    const secondPid = /^tab2-pid=(\d+)/m.exec(await screen())![1];
    assert.notEqual(secondPid, mainPid, 'two shells, two processes');

    await page.reload();
    await waitForTerminal(`main-pid=${mainPid}`, 30_000);
    assert.equal(await page.getByTestId('terminal-tab').count(), 2, 'the tabs came back');
    await page.getByTestId('terminal-tab').nth(1).click();
    await waitForTerminal(`tab2-pid=${secondPid}`, 30_000);
    await typeLine('echo again=$$');
    await waitForTerminal(`again=${secondPid}`);

    await page.getByTestId('terminal-tab-add').click();
    await eventually(async () => /at most 2 shells/.test(await page.getByTestId('terminal-status').filter({ visible: true }).innerText().catch(() => '')), {
      timeoutMs: 30_000,
      description: 'the limit message',
    });
    await page.getByTestId('terminal-tab-close').last().click();
    await page.getByTestId('terminal-tab-close').last().click();
    assert.equal(await page.getByTestId('terminal-tab').count(), 1);
    await waitForTerminal(`main-pid=${mainPid}`);
  });

  it('a tab nobody had open for TERMINAL_SHELL_IDLE_MINUTES was closed: coming back, the page says so, and Restart opens a new shell', async () => {
    await page.getByTestId('terminal-tab-add').click();
    await waitForTerminal(/root@node1:~#\s*$/, 60_000);
    await typeLine('clear; echo idle-pid=$$');
    await waitForTerminal(/^idle-pid=\d+\s*$/m);
    const idlePid = /^idle-pid=(\d+)/m.exec(await screen())![1];
    const sessionPage = page.url();

    await page.goto('about:blank'); // every viewer of the tab leaves
    await new Promise((resolve) => setTimeout(resolve, IDLE_MINUTES * 60_000 + 5_000));
    await page.goto(sessionPage);
    await waitForTerminal('root@node1', 30_000);
    await page.getByTestId('terminal-tab').nth(1).click();
    const status = page.getByTestId('terminal-status').filter({ visible: true });
    await eventually(async () => (await status.innerText().catch(() => '')).includes(`closed after ${IDLE_MINUTES} minutes with nobody using it`), {
      timeoutMs: 30_000,
      description: 'the idle message in the tab',
    });
    assert.equal(await page.getByTestId('terminal-tab').count(), 2, 'the tab is still there, with the reason');

    await status.getByTestId('restart-shell').click();
    await waitForTerminal(/root@node1:~#\s*$/, 60_000);
    await typeLine('echo new-pid=$$');
    await waitForTerminal(/^new-pid=\d+\s*$/m);
    assert.notEqual(/^new-pid=(\d+)/m.exec(await screen())![1], idlePid, 'a new shell');
    await page.getByTestId('terminal-tab-close').last().click();
  });
});
