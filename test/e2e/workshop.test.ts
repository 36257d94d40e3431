import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { LABEL, type CreatedInstructorView } from '@playground/contracts';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

// A workshop through the real pages: an instructor (created by the admin API) signs in,
// creates a workshop of 3 seats, prepares them; 3 learners join by the link, each in a
// browser context of their own; the instructor watches one learner's terminal read-only,
// types only once that learner allows it; broadcasts, pushes a file, runs a command; ends the
// workshop, and the engine has nothing of the learners left. Each `it` is one step, in order.

const SEATS = 3;
const PASSWORD = 'correct-horse-battery';
const VIEWPORT = { width: 1400, height: 900 };

interface Learner {
  name: string;
  context: BrowserContext;
  page: Page;
  sessionId: string;
}

async function screenOf(terminal: Locator): Promise<string> {
  return terminal.locator('.xterm-rows').innerText();
}

async function waitForScreen(terminal: Locator, text: string | RegExp, description: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const screen = await screenOf(terminal);
      return typeof text === 'string' ? screen.includes(text) : text.test(screen);
    },
    { timeoutMs, description },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n--- terminal shows ---\n${await screenOf(terminal).catch(() => '(none)')}`);
  });
}

async function typeInto(page: Page, terminal: Locator, line: string): Promise<void> {
  await terminal.locator('.xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

const learnerTerminal = (page: Page) => page.locator('[data-testid="terminal"]:visible');

/** The terminal themes' backgrounds (apps/web/src/components/terminal/terminal-theme.ts). */
const LIGHT_BACKGROUND = 'rgb(251, 252, 253)';
const DARK_BACKGROUND = 'rgb(5, 8, 12)';

/** What the instructor sees of the watch view's colours: the frame around the screen, and the screen. */
function watchColours(page: Page): Promise<{ frame: string; screen: string }> {
  return page.evaluate(`(() => {
    const frame = document.querySelector('[data-testid="watch-frame"] .terminal-stack');
    const screen = document.querySelector('[data-testid="watch-terminal"] .xterm-viewport');
    return { frame: getComputedStyle(frame).backgroundColor, screen: getComputedStyle(screen).backgroundColor };
  })()`);
}

describe('a workshop in the browser', { timeout: 20 * 60_000 }, () => {
  let stack: TestStack;
  let browser: Browser;
  let instructor: Page;
  const learners: Learner[] = [];
  const email = `teacher-${randomBytes(3).toString('hex')}@example.test`;
  const title = `Docker 101 ${randomBytes(2).toString('hex')}`;
  let joinUrl = '';
  let instructorToken = '';

  before(async () => {
    stack = await startTestStack('e2e-workshop', { web: true });
    browser = await launchBrowser();
    instructor = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('1. the admin creates an instructor, who signs in on /instructor (a wrong password is refused visibly)', async () => {
    const created = await stack.admin<CreatedInstructorView>('POST', '/api/v1/instructors', { email, name: 'Ada Teacher', password: PASSWORD });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instructorToken = created.body.token;

    await instructor.goto(`${stack.baseUrl}/instructor`);
    await instructor.getByTestId('sign-in-email').fill(email);
    await instructor.getByTestId('sign-in-password').fill('not-the-password');
    await instructor.getByTestId('sign-in-submit').click();
    await instructor.getByTestId('sign-in-form').getByTestId('error-banner').waitFor({ timeout: 15_000 });

    await instructor.getByTestId('sign-in-password').fill(PASSWORD);
    await instructor.getByTestId('sign-in-submit').click();
    await instructor.getByTestId('instructor-name').getByText('Ada Teacher').waitFor({ timeout: 15_000 });
  });

  it('2. creates a workshop of 3 seats with a setup script; the preview shows its join link and QR code', async () => {
    await instructor.getByTestId('workshop-title').fill(title);
    await instructor.getByTestId('workshop-seats').fill(String(SEATS));
    await instructor.getByTestId('instance-setup').first().fill('echo prepared-by-setup > /root/setup-marker');
    await instructor.getByTestId('create-workshop').click();
    const url = instructor.getByTestId('join-preview').getByTestId('join-url');
    await url.waitFor({ timeout: 15_000 });
    joinUrl = await url.innerText();
    assert.match(joinUrl, /\/w\/[a-hjkmnp-z2-9]{8}$/, 'the join link ends in the workshop code');
    assert.equal(await instructor.getByTestId('join-preview').getByTestId('join-qr').getAttribute('data-text'), joinUrl, 'the QR code encodes the join link');
    await instructor.getByTestId('join-preview').getByTestId('join-qr').locator('svg').waitFor({ timeout: 5_000 });
    await eventually(async () => (await instructor.getByTestId('workshop-list').innerText()).includes(title), { timeoutMs: 15_000, description: 'the workshop listed' });
    await instructor.getByTestId('open-dashboard').click();
    await instructor.getByTestId('workshop-dashboard').waitFor({ timeout: 15_000 });
    assert.equal(await instructor.getByTestId('dashboard-title').innerText(), title);
  });

  it('3. prepares the seats and the dashboard counts them ready', async () => {
    await instructor.getByTestId('prepare-seats').click();
    await eventually(async () => (await instructor.getByTestId('seats-ready').innerText()).trim() === String(SEATS), {
      timeoutMs: 300_000,
      description: `${SEATS} seats ready on the dashboard`,
    });
    assert.equal((await instructor.getByTestId('seats-failed').innerText()).trim(), '0');
  });

  it('3b. a workshop bigger than the cluster: Prepare says at once how many seats it can guarantee', async () => {
    // Made through the API with the instructor's token, as a course platform would.
    const response = await fetch(`${stack.baseUrl}/api/v1/workshops`, {
      method: 'POST',
      headers: { authorization: `Bearer ${instructorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Too big', seats: 100 }),
    });
    const big = (await response.json()) as { id: string };
    assert.equal(response.status, 201, JSON.stringify(big));
    const page = await instructor.context().newPage();
    try {
      await page.goto(`${stack.baseUrl}/instructor/workshops/${big.id}`);
      await page.getByTestId('prepare-seats').click();
      const refusal = page.getByTestId('seats-panel').getByTestId('error-banner');
      await refusal.waitFor({ timeout: 30_000 });
      assert.match(await refusal.innerText(), /can guarantee \d+ of 100 seats/);
      assert.equal((await page.getByTestId('seats-preparing').innerText()).trim(), '0', 'no silent shortfall: nothing is being made');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByTestId('end-workshop').click();
      await page.getByTestId('workshop-ended').waitFor({ timeout: 30_000 });
    } finally {
      await page.close();
    }
  });

  it('4. three learners join by the link, each gets a prompt in a seat made ahead, and the dashboard lists them', async () => {
    for (const name of ['Grace', 'Linus', 'Margaret']) {
      const context = await browser.newContext({ viewport: VIEWPORT });
      const page = await context.newPage();
      await page.goto(joinUrl);
      await page.getByTestId('join-title').getByText(title).waitFor({ timeout: 15_000 });
      await page.getByTestId('join-name').fill(name);
      await page.getByTestId('join-submit').click();
      await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
      learners.push({ name, context, page, sessionId: page.url().split('/p/')[1]! });
    }
    for (const learner of learners) {
      await waitForScreen(learnerTerminal(learner.page), /root@\S+/, `${learner.name}'s prompt`, 60_000);
      await learner.page.getByTestId('learner-workshop-title').getByText(title).waitFor({ timeout: 15_000 });
    }
    assert.equal(new Set(learners.map((l) => l.sessionId)).size, SEATS, 'every learner has a session of their own');

    const rows = instructor.getByTestId('learner-row');
    await eventually(async () => (await rows.count()) === SEATS, { timeoutMs: 15_000, description: 'three learners on the dashboard' });
    for (const learner of learners) assert.ok((await instructor.getByTestId('learners-table').innerText()).includes(learner.name));
  });

  it('5. the same browser coming back to the link lands in the same seat', async () => {
    const [grace] = learners;
    await grace!.page.goto(joinUrl);
    await grace!.page.getByTestId('join-name').fill(grace!.name);
    await grace!.page.getByTestId('join-submit').click();
    await grace!.page.waitForURL(`**/p/${grace!.sessionId}`, { timeout: 30_000 });
    await waitForScreen(learnerTerminal(grace!.page), /root@\S+/, "Grace's prompt again", 30_000);
    assert.equal(await instructor.getByTestId('learner-row').count(), SEATS, 'no fourth learner');
  });

  it("6. the instructor watches a learner's terminal live, read-only: typing there is refused", async () => {
    const [grace] = learners;
    await typeInto(grace!.page, learnerTerminal(grace!.page), 'echo hello-from-learner');
    await waitForScreen(learnerTerminal(grace!.page), /^hello-from-learner\s*$/m, "Grace's echo");

    await instructor.locator(`[data-testid="learner-row"][data-name="${grace!.name}"]`).getByTestId('watch-learner').click();
    const watch = instructor.getByTestId('watch-terminal');
    await waitForScreen(watch, /^hello-from-learner\s*$/m, 'the echo in the watch view');
    assert.equal(await instructor.getByTestId('watch-mode').getAttribute('data-can-type'), 'false');
    assert.match(await instructor.getByTestId('watch-mode').innerText(), /read-only/i);
    await grace!.page.getByTestId('instructor-watching').waitFor({ timeout: 15_000 });
    // The view follows the watcher's terminal theme (here the system's), frame and screen alike.
    assert.deepEqual(await watchColours(instructor), { frame: LIGHT_BACKGROUND, screen: LIGHT_BACKGROUND }, 'light on a light system');
    await instructor.emulateMedia({ colorScheme: 'dark' });
    await eventually(async () => (await watchColours(instructor)).screen === DARK_BACKGROUND, { timeoutMs: 5_000, description: 'the dark theme' });
    assert.deepEqual(await watchColours(instructor), { frame: DARK_BACKGROUND, screen: DARK_BACKGROUND }, 'dark on a dark system');
    await instructor.emulateMedia({ colorScheme: 'light' });

    await typeInto(instructor, watch, 'echo typed-without-leave');
    await instructor.getByTestId('watch-refused').waitFor({ timeout: 15_000 });
    assert.ok(!(await screenOf(learnerTerminal(grace!.page))).includes('typed-without-leave'), 'nothing reached the learner');

    // Live: what the learner types now appears in the open view.
    await typeInto(grace!.page, learnerTerminal(grace!.page), 'echo second-line-live');
    await waitForScreen(watch, /^second-line-live\s*$/m, 'a later line in the watch view');

    // The view has the learner's screen size, not its frame's, and follows when the learner's changes.
    const sizeOf = async (terminal: Locator) => `${await terminal.getAttribute('data-cols')}x${await terminal.getAttribute('data-rows')}`;
    const learnerSize = await sizeOf(learnerTerminal(grace!.page));
    assert.equal(await sizeOf(watch), learnerSize, "the watch view has the learner's size");
    await grace!.page.setViewportSize({ width: 1000, height: 700 });
    const smaller = await eventually(
      async () => {
        const size = await sizeOf(learnerTerminal(grace!.page));
        return size !== learnerSize && size;
      },
      { timeoutMs: 10_000, description: "the learner's terminal to take the smaller window" },
    );
    await eventually(async () => (await sizeOf(watch)) === smaller, { timeoutMs: 10_000, description: `the watch view to follow the learner's new size ${smaller}` });
    await grace!.page.setViewportSize(VIEWPORT);
  });

  it('7. once the learner allows it, the instructor types into their terminal; the learner can revoke', async () => {
    const [grace] = learners;
    await instructor.getByTestId('watch-ask-help').click();
    await grace!.page.getByTestId('help-request').waitFor({ timeout: 15_000 });
    await grace!.page.getByTestId('help-allow').click();
    await grace!.page.getByTestId('help-granted').waitFor({ timeout: 15_000 });
    await eventually(async () => (await instructor.getByTestId('watch-mode').getAttribute('data-can-type')) === 'true', {
      timeoutMs: 15_000,
      description: 'the watch view to say "You can type"',
    });
    assert.match(await instructor.getByTestId('watch-mode').innerText(), /you can type/i);

    await typeInto(instructor, instructor.getByTestId('watch-terminal'), 'echo typed-by-instructor');
    await waitForScreen(learnerTerminal(grace!.page), /^typed-by-instructor\s*$/m, "the instructor's command in the learner's terminal");

    await grace!.page.getByTestId('help-revoke').click();
    await eventually(async () => (await instructor.getByTestId('watch-mode').getAttribute('data-can-type')) === 'false', {
      timeoutMs: 15_000,
      description: 'the watch view read-only again',
    });
    await instructor.getByTestId('stop-watching').click();
  });

  it('8. a broadcast appears as a banner in every learner\'s page', async () => {
    const message = `Break until ${randomBytes(2).toString('hex')}`;
    await instructor.getByTestId('broadcast-message').fill(message);
    await instructor.getByTestId('broadcast-form-submit').click();
    await instructor.getByTestId('broadcast-delivered').waitFor({ timeout: 15_000 });
    for (const learner of learners) {
      await eventually(async () => (await learner.page.getByTestId('broadcast-text').innerText()) === message, {
        timeoutMs: 15_000,
        description: `the broadcast on ${learner.name}'s page`,
      });
    }
  });

  it('9. a pushed file is in every learner\'s first instance; a command runs in each with its output', async () => {
    const content = `pushed-content-${randomBytes(3).toString('hex')}`;
    await instructor.getByTestId('push-file-path').fill('welcome.txt');
    await instructor.getByTestId('push-file-content').fill(`${content}\n`);
    await instructor.getByTestId('push-file-form-submit').click();
    const pushed = instructor.getByTestId('push-file-results');
    await pushed.waitFor({ timeout: 60_000 });
    assert.equal(await pushed.locator('tbody tr[data-ok="true"]').count(), SEATS, await pushed.innerText());

    const [, linus] = learners;
    await typeInto(linus!.page, learnerTerminal(linus!.page), 'cat welcome.txt');
    await waitForScreen(learnerTerminal(linus!.page), new RegExp(`^${content}\\s*$`, 'm'), 'the pushed file in a learner\'s terminal');

    await instructor.getByTestId('run-command').fill('cat /root/welcome.txt /root/setup-marker');
    await instructor.getByTestId('run-command-form-submit').click();
    const ran = instructor.getByTestId('run-command-results');
    await ran.waitFor({ timeout: 60_000 });
    const rows = ran.locator('tbody tr');
    assert.equal(await rows.count(), SEATS);
    for (let index = 0; index < SEATS; index++) {
      const row = await rows.nth(index).innerText();
      assert.match(row, /exit 0/, row);
      assert.ok(row.includes(content) && row.includes('prepared-by-setup'), row);
    }
  });

  it('10. ending the workshop ends every learner\'s page and leaves nothing of theirs in the engine', async () => {
    const attendance = await instructor.request.get(new URL((await instructor.getByTestId('attendance-csv').getAttribute('href'))!, stack.baseUrl).href);
    assert.equal(attendance.status(), 200);
    const csv = await attendance.text();
    for (const learner of learners) assert.ok(csv.includes(learner.name), `the attendance lists ${learner.name}:\n${csv}`);

    instructor.once('dialog', (dialog) => void dialog.accept());
    await instructor.getByTestId('end-workshop').click();
    await instructor.getByTestId('workshop-ended').waitFor({ timeout: 60_000 });
    for (const learner of learners) await learner.page.getByTestId('session-ended').waitFor({ timeout: 60_000 });

    const nodeId = stack.nodeIds[0]!;
    for (const learner of learners) {
      await eventually(
        async () => (await stack.docker(nodeId, ['ps', '-a', '--filter', `label=${LABEL.session}=${learner.sessionId}`, '--format', '{{.Names}}'])).trim() === '',
        { timeoutMs: 60_000, description: `no container of ${learner.name}'s session` },
      );
    }
    // Prepared seats nobody took would be here too: the workshop's end removes them as well.
    await eventually(
      async () => {
        const left = await stack.leftovers();
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`); // named in the timeout's message
        return true;
      },
      { timeoutMs: 120_000, description: 'every container, network and volume of the workshop removed' },
    );
    for (const learner of learners) await learner.context.close();
  });

  it('11. the join page says so for an ended workshop and for an unknown code', async () => {
    const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    await page.goto(joinUrl);
    await page.getByTestId('join-ended').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('join-submit').count(), 0, 'no way to join an ended workshop');
    await page.goto(`${stack.baseUrl}/w/abcdefgh`);
    await page.getByTestId('join-unknown').waitFor({ timeout: 15_000 });
    await page.context().close();
  });

  it('11b. a workshop that follows a lab: the learner lands on its steps, in the seat made from its template', async () => {
    await instructor.goto(`${stack.baseUrl}/instructor`);
    await instructor.getByTestId('workshop-title').fill('Containers, by the lab');
    await instructor.getByTestId('workshop-seats').fill('2');
    await instructor.getByTestId('workshop-lab').selectOption('run-and-inspect');
    await instructor.getByTestId('workshop-lab-note').waitFor({ timeout: 5_000 });
    await instructor.getByTestId('create-workshop').click();
    const url = instructor.getByTestId('join-preview').getByTestId('join-url');
    await url.waitFor({ timeout: 15_000 });
    const labJoinUrl = await url.innerText();
    const workshopId = (await instructor.getByTestId('open-dashboard').getAttribute('href'))!.split('/').pop()!;

    const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    try {
      await page.goto(labJoinUrl);
      await page.getByTestId('join-name').fill('Barbara');
      await page.getByTestId('join-submit').click();
      await page.waitForURL(/\/labs\/run-and-inspect/, { timeout: 180_000 });
      await page.getByTestId('lab-steps').waitFor({ timeout: 15_000 });
      await page.getByTestId('learner-workshop-title').getByText('Containers, by the lab').waitFor({ timeout: 15_000 });
      const terminal = learnerTerminal(page);
      await waitForScreen(terminal, /root@node1/, "the lab's terminal", 60_000);
      await typeInto(page, terminal, 'cat /root/site/index.html');
      await waitForScreen(terminal, 'Hello from a container', "the lab's file in the seat");

      const stored = JSON.parse((await page.evaluate('localStorage.getItem("playground.lab.run-and-inspect")')) as string) as { sessionId: string };
      const response = await fetch(`${stack.baseUrl}/api/v1/workshops/${workshopId}`, { headers: { authorization: `Bearer ${instructorToken}` } });
      const workshop = (await response.json()) as { learners: Array<{ name: string; sessionId: string }> };
      assert.equal(workshop.learners.find((learner) => learner.name === 'Barbara')?.sessionId, stored.sessionId, "the lab runs in the learner's seat");
    } finally {
      await page.context().close();
    }
  });

  it('11c. the instructor uploads a lab of their own: a broken one is refused naming its line, a good one is listed at /labs', async () => {
    await instructor.goto(`${stack.baseUrl}/instructor`);
    const panel = instructor.getByTestId('lab-upload-panel');
    await panel.waitFor({ timeout: 15_000 });
    const lab = ['---', 'title: Networks by hand', 'description: Two containers on a network of our own.', 'language: en', 'duration: 10',
      'template:', '  instances:', '    - hostname: node1', '---', '', '## Make a network', '', '```sh', 'docker network create mynet', '```', ''].join('\n');
    await panel.getByTestId('lab-slug').fill('networks-by-hand');
    await panel.getByTestId('lab-markdown').fill(lab.replace('duration: 10', 'duration: soon'));
    await panel.getByTestId('upload-lab').click();
    await panel.getByTestId('error-banner').getByText(/networks-by-hand\.md:5: .*duration/).waitFor({ timeout: 15_000 });
    await panel.getByTestId('lab-markdown').fill(lab);
    await panel.getByTestId('upload-lab').click();
    await panel.getByTestId('lab-uploaded').getByText('/labs/networks-by-hand').waitFor({ timeout: 15_000 });
    await panel.getByTestId('my-labs').locator('tr[data-lab="networks-by-hand"]').waitFor({ timeout: 15_000 });
    await instructor.goto(`${stack.baseUrl}/labs`);
    await instructor.getByText('Networks by hand').waitFor({ timeout: 15_000 });
    await instructor.goto(`${stack.baseUrl}/instructor`);
    await instructor.getByTestId('lab-upload-panel').waitFor({ timeout: 15_000 });
  });

  it('12. the instructor signs out; the pages ask to sign in again', async () => {
    await instructor.getByTestId('sign-out').click();
    await instructor.getByTestId('sign-in-form').waitFor({ timeout: 15_000 });
    await instructor.goto(`${stack.baseUrl}/instructor`);
    await instructor.getByTestId('sign-in-form').waitFor({ timeout: 15_000 });
    assert.equal(await instructor.getByTestId('workshop-list').count(), 0);
  });
});
