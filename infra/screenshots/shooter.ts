import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../launcher/stack.ts';
import type { TestStack } from '../../test/support/test-stack.ts';

// What every scene of `npm run screenshots` gets: the running stack, the browser, and one way
// to take a picture, so every PNG has the same size and lands in the same folder.

/** Where the README's pictures live (committed). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs', 'screenshots');

/** One size for every picture: wide enough for sidebar, terminal and file panel side by side. */
export const VIEWPORT = { width: 1280, height: 800 };

export interface Shooter {
  stack: TestStack;
  browser: Browser;
  /** A fresh browser of a given language (dark system theme, clipboard allowed for the copy button). */
  newContext(locale?: string): Promise<BrowserContext>;
  /** Saves the page (or one element of it) as docs/screenshots/<name>.png; answers the file. */
  shoot(target: Page | Locator, name: string, options?: { fullPage?: boolean }): Promise<string>;
  /** Every file saved so far, in order. */
  taken: string[];
}

export async function createShooter(stack: TestStack, browser: Browser): Promise<Shooter> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const taken: string[] = [];
  return {
    taken,
    stack,
    browser,
    newContext: (locale = 'en-US') =>
      browser.newContext({ viewport: VIEWPORT, locale, colorScheme: 'dark', permissions: ['clipboard-read', 'clipboard-write'] }),
    async shoot(target, name, { fullPage = false } = {}) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      // The text cursor blinks and the countdown ticks: hide the caret so reruns differ less.
      const options = { path: file, animations: 'disabled', caret: 'hide' } as const;
      await ('goto' in target ? target.screenshot({ ...options, fullPage }) : target.screenshot(options));
      taken.push(file);
      console.log(`[screenshots] ${path.relative(REPO_ROOT, file)}`);
      return file;
    },
  };
}
