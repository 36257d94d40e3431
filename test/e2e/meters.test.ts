import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { screenText, typeLine } from '../support/page-terminal.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A learner watches their instance's meters in the sidebar while loading it from the
// terminal, in real Chromium against the real stack: CPU rises under `yes`, memory under a
// process holding 200 MiB, and a disk filled near its limit brings the warning that suggests
// `docker system prune` (gone again once the file is removed). Small limits (half a core,
// 512 MiB, 1.5 GiB of disk) keep the writes short.

const MiB = 1024 * 1024;

/** A meter's figures as the page states them to assistive technology. */
async function meter(item: Locator, name: 'CPU' | 'Memory' | 'Disk' | 'Docker'): Promise<{ now: number; max: number; text: string }> {
  const m = item.getByRole('meter', { name, exact: true });
  const [now, max, text] = await Promise.all([m.getAttribute('aria-valuenow'), m.getAttribute('aria-valuemax'), m.getAttribute('aria-valuetext')]);
  return { now: Number(now), max: Number(max), text: text ?? '' };
}

describe('meters in the sidebar', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let item: Locator;

  before(async () => {
    stack = await startTestStack('meters', {
      web: true,
      env: { INSTANCE_CPUS: '0.5', INSTANCE_MEMORY_MB: '512', INSTANCE_DISK_GB: '1.5', USAGE_SAMPLE_INTERVAL_MS: '1000', WARM_POOL_SIZE: '0', MAX_INSTANCES_PER_SESSION: '1' },
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('shows CPU, memory and both disks against their limits once the instance runs', async () => {
    await page.goto(stack.baseUrl);
    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
    item = page.getByTestId('instance-item').first();
    await item.waitFor({ timeout: 90_000 });
    await eventually(async () => (await screenText(page)).includes('root@node1'), { timeoutMs: 90_000, description: 'the first prompt' });
    await item.getByTestId('instance-meters').waitFor({ timeout: 30_000 });
    const cpu = await meter(item, 'CPU');
    assert.equal(cpu.max, 0.5, 'the CPU meter is against the half-core quota');
    const memory = await meter(item, 'Memory');
    assert.equal(memory.max, 512 * MiB);
    assert.match(memory.text, /^[\d.]+ \/ 512 MiB$/);
    const disk = await meter(item, 'Disk');
    assert.equal(disk.max, 1.5 * 1024 * MiB);
    assert.match(disk.text, /^[\d.]+ (MiB )?\/ 1\.5 GiB$/);
    assert.equal((await meter(item, 'Docker')).max, 1.5 * 1024 * MiB, "the inner Docker's storage has its own limit");
    assert.equal(await page.getByTestId('usage-warning').count(), 0, 'nothing is nearly full yet');
  });

  it('the CPU meter rises under `yes` and falls when it stops', async () => {
    // A new instance is busy for a moment (its engine, the shell's start-up): from calm, then.
    await eventually(async () => (await meter(item, 'CPU')).now < 0.1, { timeoutMs: 60_000, description: 'the new instance to settle' });
    await typeLine(page, 'yes > /dev/null &');
    // A third of the half-core quota at least, even on a busy shared host.
    await eventually(async () => (await meter(item, 'CPU')).now >= 0.17, { timeoutMs: 30_000, description: 'the CPU meter to rise' });
    await typeLine(page, 'pkill -x yes');
    await eventually(async () => (await meter(item, 'CPU')).now < 0.1, { timeoutMs: 30_000, description: 'the CPU meter to fall' });
  });

  it('the memory meter rises while a process holds 200 MiB', async () => {
    const before = (await meter(item, 'Memory')).now;
    // dd fills one 200 MiB buffer and holds it while `sleep` never reads the pipe.
    await typeLine(page, 'dd if=/dev/zero bs=200M count=1 status=none | sleep 600 &');
    await eventually(async () => (await meter(item, 'Memory')).now >= before + 150 * MiB, { timeoutMs: 30_000, description: 'the memory meter to rise by 200 MiB' });
    await typeLine(page, 'pkill -x dd');
    await eventually(async () => (await meter(item, 'Memory')).now < before + 100 * MiB, { timeoutMs: 30_000, description: 'the memory meter to fall' });
  });

  it('a disk filled near its limit brings the warning that suggests docker system prune; it goes once space is freed', async () => {
    const disk = await meter(item, 'Disk');
    // What takes the root file system to 92 % of its limit (the image already counts).
    const count = Math.ceil((0.92 * disk.max - disk.now) / MiB);
    assert.ok(count > 0, `the disk is at ${disk.text} before the write`);
    await typeLine(page, `dd if=/dev/zero of=/root/fill bs=1M count=${count} status=none; sync; echo "filled-$?"`);
    await eventually(async () => /filled-\d/.test(await screenText(page)), { timeoutMs: 120_000, description: 'the write to finish' });
    const warning = page.getByTestId('usage-warning');
    await warning.waitFor({ timeout: 60_000 });
    const text = await warning.innerText();
    assert.match(text, /^node1 is nearly full: disk 9\d% \([\d.]+ \/ 1\.5 GiB\)\./);
    assert.match(text, /docker system prune/);
    assert.match((await meter(item, 'Disk')).text, /nearly full$/);
    assert.equal(await item.locator('.meter.near').count(), 1, 'only the disk meter is marked');
    const shot = path.join(os.tmpdir(), 'playground-meters.png');
    await page.screenshot({ path: shot });
    console.log(`# screenshot of the warning: ${shot}`);

    await typeLine(page, 'rm /root/fill; sync');
    await eventually(async () => (await page.getByTestId('usage-warning').count()) === 0, { timeoutMs: 60_000, description: 'the warning to go once the file is removed' });
  });
});
