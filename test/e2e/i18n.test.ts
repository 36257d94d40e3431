import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// The UI in Korean for a Korean browser, through the real pages on the real stack: each main
// page renders with no English left in what a reader sees (text, and the labels and titles
// a screen reader or a hover shows), a full-page screenshot of each is kept, the terminal
// greets in Korean, and the choice of language is switchable and remembered.

/** Screenshots land here (gitignored); TEST_OUTPUT_DIR moves them. */
const OUTPUT = path.resolve(process.env.TEST_OUTPUT_DIR ?? '.playground/test-output', 'i18n');
const VIEWPORT = { width: 1400, height: 900 };

/**
 * Latin words that may stand in Korean text: names of products and protocols, keys, units.
 * Anything with a digit (hostnames like node1, ids, addresses, sizes) is allowed as data.
 */
const ALLOWED = new Set([
  'Playground', 'Docker', 'Compose', 'Swarm', 'Linux', 'SSH', 'URL', 'CPU', 'IP', 'ID', 'API', 'CSV', 'QR', 'UTF', 'LMS',
  'Markdown', 'Dockerfile', 'MB', 'MiB', 'GB', 'GiB', 'KB', 'KiB', 'B',
  // Keys as printed on a keyboard (Ctrl+Shift+F), and the A−/A+ text-size symbols.
  'Ctrl', 'Shift', 'Alt', 'Enter', 'Insert', 'Escape', 'A', 'C', 'E', 'F', 'V',
]);

/** A command named in running text (`docker commit`, `docker compose up`) is a command, not English. */
const COMMAND = /\b(docker(-compose)?|ssh|git|curl)( [a-z][a-z-]*){0,2}/g;
/** So is a file or a path (`/root`, `.bashrc`, `/root/.profile`): the learner's data. */
const PATH = /(^|\s)[./~][^\s]*/g;

type Leftover = { where: string; text: string; words: string[] };

/**
 * English a Korean reader would see: visible text nodes, and aria-label / title / placeholder
 * of visible elements. Not checked: data marked translate="no" (ids, hostnames), what others wrote (elements marked with another `lang`:
 * a lab only in English, a language's own name), code (`code`, `pre`: commands, the ssh line)
 * and the terminal's screen (the shell's output is the instance's, not the page's). Runs in
 * the page, as a string (this project's type-check has no DOM); answers [{ where, text }].
 */
const VISIBLE_TEXT = `(() => {
  const skipped = (element) => {
    if (!element) return true;
    // translate="no": data the page marks as not for translation (ids, hostnames).
    if (element.closest('code, pre, kbd, .xterm, script, style, noscript, [translate="no"]')) return true;
    const lang = element.closest('[lang]')?.getAttribute('lang') ?? '';
    return !lang.startsWith('ko');
  };
  const visible = (element) =>
    element instanceof HTMLElement && element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && element.getClientRects().length > 0;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent?.trim() ?? '';
    const parent = node.parentElement;
    // A select shows only its chosen option; the others are not on screen.
    if (!text || !parent || skipped(parent) || parent.closest('option')) continue;
    if (visible(parent)) out.push({ where: parent.tagName.toLowerCase(), text });
  }
  for (const select of document.querySelectorAll('select')) {
    const chosen = select.selectedOptions[0];
    if (chosen && visible(select) && !skipped(chosen)) out.push({ where: 'option', text: chosen.textContent?.trim() ?? '' });
  }
  for (const element of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (!visible(element) || skipped(element)) continue;
    for (const name of ['aria-label', 'title', 'placeholder']) {
      const value = element.getAttribute(name);
      if (value) out.push({ where: element.tagName.toLowerCase() + '[' + name + ']', text: value });
    }
  }
  out.push({ where: 'title', text: document.title });
  return out;
})()`;

async function englishLeftovers(page: Page): Promise<Leftover[]> {
  const found = await page.evaluate<Array<{ where: string; text: string }>>(VISIBLE_TEXT);
  return found
    .map(({ where, text }) => ({ where, text, words: (text.replace(COMMAND, ' ').replace(PATH, ' ').match(/[A-Za-z][A-Za-z0-9'’._-]*/g) ?? []).filter((word) => !ALLOWED.has(word) && !/\d/.test(word)) }))
    .filter((entry) => entry.words.length > 0);
}

/** Waits for the page's <h1> to say `text` (a language switch re-renders in place). */
async function headline(page: Page, text: RegExp): Promise<void> {
  await eventually(async () => text.test(await page.locator('h1').innerText()), { timeoutMs: 15_000, description: `the headline ${text}` });
}

async function assertKorean(page: Page, name: string): Promise<void> {
  assert.equal(await page.locator('html').getAttribute('lang'), 'ko', `${name}: <html lang>`);
  // Let fonts, spinners and fetched data settle before judging and photographing the page.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const leftovers = await englishLeftovers(page);
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
  assert.deepEqual(leftovers, [], `${name}: English left in the Korean page`);
}

describe('the UI in Korean and English', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let korean: BrowserContext;
  let page: Page;

  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    stack = await startTestStack('e2e-i18n', { web: true });
    browser = await launchBrowser();
    // A Korean browser: Accept-Language ko-KR and navigator.language ko-KR.
    korean = await browser.newContext({ viewport: VIEWPORT, locale: 'ko-KR' });
    page = await korean.newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('1. the landing page is in Korean for a Korean browser, templates included', async () => {
    await page.goto(stack.baseUrl);
    await page.getByTestId('template-picker').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('h1').innerText(), /브라우저에서 바로 쓰는 Docker/);
    assert.match(await page.getByTestId('template-picker').innerText(), /호스트 1대/);
    await assertKorean(page, '1-landing');
  });

  it('2. the session page, with its instance, is in Korean and the terminal greets in Korean', async () => {
    await page.getByTestId('template-picker').getByText('호스트 1대', { exact: true }).click();
    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\/[a-z0-9]+$/, { timeout: 30_000 });
    await page.getByTestId('instance-item').first().waitFor({ timeout: 60_000 });
    const screen = page.locator('[data-testid="terminal"]:visible .xterm-rows');
    await eventually(async () => (await screen.innerText().catch(() => '')).includes('인스턴스에 오신 것을 환영합니다'), {
      timeoutMs: 90_000,
      description: 'the Korean welcome text in the terminal',
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n--- terminal shows ---\n${await screen.innerText().catch(() => '(none)')}`);
    });
    assert.doesNotMatch(await screen.innerText(), /Welcome to your Playground instance/, 'the English welcome is not shown as well');
    await page.getByTestId('files-panel').waitFor();
    await assertKorean(page, '2-session');
  });

  it('3. the labs list is in Korean (labs that exist only in English keep their own language)', async () => {
    await page.goto(`${stack.baseUrl}/labs`);
    await page.getByTestId('lab-list').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('lab-list').innerText(), /컨테이너 실행하고 살펴보기/);
    await assertKorean(page, '3-labs');
  });

  it('4. a workshop\'s join page is in Korean', async () => {
    const instructor = await stack.admin<{ token: string }>('POST', '/api/v1/instructors', {
      email: `i18n-${Date.now()}@example.com`,
      name: '김강사',
      password: 'correct-horse-battery-staple',
    });
    assert.equal(instructor.status, 201, JSON.stringify(instructor.body));
    const created = await fetch(`${stack.baseUrl}/api/v1/workshops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${instructor.body.token}` },
      body: JSON.stringify({ title: '도커 입문', seats: 2 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { code } = (await created.json()) as { code: string };
    await page.goto(`${stack.baseUrl}/w/${code}`);
    await page.getByTestId('join-title').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('join-submit').innerText(), '참여하기');
    await assertKorean(page, '4-workshop-join');
  });

  it('5. the instructor sign-in page is in Korean', async () => {
    await page.goto(`${stack.baseUrl}/instructor`);
    await page.getByTestId('sign-in-form').waitFor({ timeout: 30_000 });
    await assertKorean(page, '5-instructor-sign-in');
  });

  it('6. switching to English in the page sticks across a reload', async () => {
    await page.goto(stack.baseUrl);
    await page.getByTestId('language-menu').selectOption('en');
    await headline(page, /Docker in your browser/);
    await page.reload();
    await page.getByTestId('template-picker').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.match(await page.locator('h1').innerText(), /Docker in your browser/);
    assert.equal(await page.getByTestId('language-menu').inputValue(), 'en');
    // And back: the menu works both ways.
    await page.getByTestId('language-menu').selectOption('ko');
    await headline(page, /브라우저에서 바로 쓰는 Docker/);
  });

  it('7. an English browser gets English', async () => {
    const english = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
    try {
      const other = await english.newPage();
      await other.goto(stack.baseUrl);
      await other.getByTestId('template-picker').waitFor({ timeout: 30_000 });
      assert.equal(await other.locator('html').getAttribute('lang'), 'en');
      assert.match(await other.locator('h1').innerText(), /Docker in your browser/);
      assert.match(await other.getByTestId('template-picker').innerText(), /One host/);
    } finally {
      await english.close();
    }
  });
});
