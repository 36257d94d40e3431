import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { InstanceView, SessionView } from '@playground/contracts';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// Files in the browser, on the real stack: a file dropped on the terminal lands in /root
// (the panel lists it, `ls` shows it), the editor opens, changes and saves it (`cat` shows the
// change), the download link gives its content, and refusals (too large, binary) are shown.

const UPLOAD_MAX_BYTES = 4096;

async function terminalText(page: Page): Promise<string> {
  return page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
}

async function typeInTerminal(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid="terminal"]:visible .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

async function waitForTerminal(page: Page, text: string): Promise<void> {
  await eventually(async () => (await terminalText(page)).includes(text), { timeoutMs: 30_000, description: `terminal to show ${text}` }).catch(
    async (error: Error) => {
      throw new Error(`${error.message}\n--- terminal shows ---\n${await terminalText(page).catch(() => '(none)')}`);
    },
  );
}

/** What a file dragged from the desktop onto the terminal does: dragenter, dragover, drop with a DataTransfer. */
async function dropFile(page: Page, name: string, bytes: number[]): Promise<void> {
  // Runs in the page; this file is type-checked without the DOM library, hence the string.
  const dataTransfer = await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(${JSON.stringify(bytes)})], ${JSON.stringify(name)}));
    return transfer;
  })()`);
  const terminal = page.locator('[data-testid="terminal"]:visible');
  for (const type of ['dragenter', 'dragover', 'drop']) await terminal.dispatchEvent(type, { dataTransfer });
}

describe('files in the browser', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  before(async () => {
    stack = await startTestStack('e2e-files', { web: true, env: { FILES_UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions');
    const instance = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`);
    assert.equal(instance.status, 201, JSON.stringify(instance.body));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${stack.baseUrl}/p/${session.body.id}`);
    // The shell's first prompt can take a while on a loaded machine.
    await page
      .locator('[data-testid="terminal"]:visible .xterm')
      .waitFor({ timeout: 120_000 })
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\n--- page errors ---\n${pageErrors.join('\n')}\n--- page shows ---\n${await page.locator('body').innerText()}`);
      });
    // Keys typed before the terminal's socket is up are dropped (by design): wait for the prompt it brings.
    await waitForTerminal(page, 'root@node1:~#');
    await typeInTerminal(page, 'cd /root && echo READY-$((6*7))');
    await waitForTerminal(page, 'READY-42');
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('a file dropped on the terminal is uploaded into /root: progress, then listed in the panel, and `ls` shows it', async () => {
    await dropFile(page, 'notes.txt', [...Buffer.from('first line\n')]);
    await page.getByTestId('upload-status').filter({ hasText: 'Uploaded /root/notes.txt' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="file-entry"][data-path="/root/notes.txt"]').waitFor({ timeout: 30_000 });
    await typeInTerminal(page, 'ls -1 /root | grep -c notes.txt');
    await waitForTerminal(page, '\n1');
  });

  it('opens the file in the editor, saves a change, and `cat` in the terminal shows it', async () => {
    await page.locator('[data-testid="file-entry"][data-path="/root/notes.txt"]').click();
    const editor = page.getByTestId('file-editor');
    const content = editor.locator('.cm-content');
    await content.waitFor({ timeout: 30_000 });
    assert.match(await content.innerText(), /first line/);
    await content.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('saved from the editor');
    await editor.getByTestId('editor-save').click();
    await editor.getByTestId('editor-message').filter({ hasText: 'Saved' }).waitFor({ timeout: 30_000 });
    await editor.getByTestId('editor-close').click();
    await typeInTerminal(page, 'cat /root/notes.txt');
    await waitForTerminal(page, 'saved from the editor');
  });

  it('the download link gives the file with its content', async () => {
    const row = page.locator('[data-testid="file-entry"][data-path="/root/notes.txt"]');
    await row.hover();
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('file-download').click()]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    assert.equal(await readFile((await download.path())!, 'utf8'), 'first line\nsaved from the editor');
  });

  it('a file over the upload limit is refused with the limit in the page; a binary does not open in the editor', async () => {
    await dropFile(page, 'too-big.bin', Array.from({ length: UPLOAD_MAX_BYTES + 1 }, () => 7));
    const refused = page.getByTestId('upload-status').filter({ hasText: 'larger than the upload limit of 4 KB' });
    await refused.waitFor({ timeout: 30_000 });
    assert.equal(await refused.getAttribute('role'), 'alert');

    await dropFile(page, 'blob.bin', [0, 1, 2, 3]);
    await page.getByTestId('upload-status').filter({ hasText: 'Uploaded /root/blob.bin' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="file-entry"][data-path="/root/blob.bin"]').click();
    await page.getByTestId('editor-refused').filter({ hasText: 'not a text file' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('editor-close').click();
  });
});
