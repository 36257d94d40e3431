import type { SessionView } from '@playground/contracts';
import { eventually } from '../../test/support/eventually.ts';
import { typeLine, waitForScreen } from '../../test/support/page-terminal.ts';
import type { Shooter } from './shooter.ts';

// A learner's day in pictures, on one real session: the landing page, `docker compose up` of
// a two-service project in the terminal (with the sidebar's meters, the SSH command and the
// port badge), tabs, the shortcuts overlay, search, the file editor, the Download menu, the light
// theme; then a Korean browser's own session.

/** The project the learner starts, written into /root before the terminal runs it. */
const PROJECT: Record<string, string> = {
  'compose.yaml': [
    'services:',
    '  web:',
    '    image: busybox',
    '    command: httpd -f -p 80 -h /www',
    '    volumes: ["./site:/www:ro"]',
    '    ports: ["8080:80"]',
    '  worker:',
    '    image: busybox',
    '    command: sh -c "while true; do date; sleep 5; done"',
    '',
  ].join('\n'),
  'site/index.html': '<h1>Hello from Compose</h1>\n',
};

const PS_TABLE = `docker ps --format 'table {{.Names}}\\t{{.Image}}\\t{{.Status}}\\t{{.Ports}}'`;

export async function shootLearner(shooter: Shooter): Promise<void> {
  const { stack } = shooter;
  const context = await shooter.newContext();
  const page = await context.newPage();

  await page.goto(stack.baseUrl);
  await page.getByTestId('template-picker').waitFor({ timeout: 30_000 });
  await shooter.shoot(page, 'landing');

  await page.getByTestId('start-session').click();
  await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 60_000 });
  await waitForScreen(page, 'root@node1', 120_000);
  const sessionId = page.url().split('/p/')[1]!;
  const instanceId = await firstInstance(shooter, sessionId);
  for (const [file, content] of Object.entries(PROJECT)) {
    const written = await stack.api('PUT', `/api/v1/sessions/${sessionId}/instances/${instanceId}/files/text`, { path: file, content });
    if (written.status !== 200) throw new Error(`writing ${file}: ${written.status} ${JSON.stringify(written.body)}`);
  }

  await typeLine(page, 'clear; docker compose up -d && echo compose-up=$?');
  await waitForScreen(page, /^compose-up=0\s*$/m, 180_000);
  await typeLine(page, PS_TABLE);
  await waitForScreen(page, /^\S*worker\S*\s+busybox\s+Up/m);
  await typeLine(page, 'curl -s localhost:8080');
  await waitForScreen(page, /^<h1>Hello from Compose<\/h1>\s*$/m);
  await page.getByTestId('port-badge').filter({ hasText: '8080' }).waitFor({ timeout: 60_000 });
  await page.getByRole('meter').first().waitFor({ timeout: 60_000 });
  // The panel listed /root before the project was written: list it again, as a learner would.
  await page.getByTestId('files-refresh').click();
  await page.locator('[data-testid="file-entry"][data-path="/root/compose.yaml"]').waitFor({ timeout: 30_000 });
  await page.getByTestId('ssh-copy').click();
  await page.getByTestId('ssh-copy').filter({ hasText: /copied/i }).waitFor({ timeout: 5_000 });
  await shooter.shoot(page, 'session');
  await shooter.shoot(page.getByTestId('instance-item').first(), 'meters');

  // A second shell in its own tab, busy with something of its own, and the shortcuts overlay.
  await page.getByTestId('terminal-tab-add').click();
  await waitForScreen(page, /root@node1:~#\s*$/, 60_000);
  await typeLine(page, 'clear; docker compose logs --no-log-prefix worker | tail -5; docker images');
  await waitForScreen(page, /^busybox\s+latest/m);
  await shooter.shoot(page, 'tabs');
  await page.getByTestId('terminal-help-open').click();
  await page.getByTestId('terminal-help').waitFor({ timeout: 5_000 });
  await shooter.shoot(page.getByTestId('terminal-help'), 'shortcuts');
  await page.keyboard.press('Escape');
  await page.getByTestId('terminal-help').waitFor({ state: 'detached', timeout: 5_000 });

  // Back on tab 1: search the scrollback.
  await page.getByTestId('terminal-tab').first().click();
  await waitForScreen(page, 'Hello from Compose');
  await page.getByTestId('terminal-search-open').click();
  await page.getByTestId('terminal-search-input').fill('busybox');
  await eventually(async () => /of [1-9]/.test(await page.getByTestId('terminal-search-count').innerText()), {
    timeoutMs: 5_000,
    description: 'search matches',
  });
  await shooter.shoot(page, 'search');
  await page.getByTestId('terminal-search-input').press('Escape');

  // The file panel, and compose.yaml open in the editor.
  await page.getByTestId('files-refresh').click();
  await page.locator('[data-testid="file-entry"][data-path="/root/compose.yaml"]').click();
  await page.getByTestId('file-editor').locator('.cm-content').getByText('services:').waitFor({ timeout: 30_000 });
  await shooter.shoot(page, 'file-editor');
  await page.getByTestId('editor-close').click();

  await page.getByTestId('download-menu').locator('summary').click();
  await page.getByTestId('download-home').waitFor();
  await page.getByTestId('download-images-input').fill('busybox');
  await shooter.shoot(page, 'download-menu');
  await page.getByTestId('download-menu').locator('summary').click();

  await page.getByTestId('terminal-theme').click();
  await eventually(async () => (await page.getByTestId('terminal-pane').getAttribute('data-theme')) === 'light', {
    timeoutMs: 5_000,
    description: 'the light theme',
  });
  await typeLine(page, 'clear; ls -l; cat site/index.html; echo light-$((2+3))');
  await waitForScreen(page, /^light-5\s*$/m);
  await shooter.shoot(page, 'light-theme');
  await context.close();

  await shootKorean(shooter);
}

/** A Korean browser starts its own session: the page and the instance's welcome in Korean. */
async function shootKorean(shooter: Shooter): Promise<void> {
  const context = await shooter.newContext('ko-KR');
  const page = await context.newPage();
  await page.goto(shooter.stack.baseUrl);
  await page.getByTestId('start-session').click();
  await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 60_000 });
  await waitForScreen(page, '인스턴스에 오신 것을 환영합니다', 120_000);
  await waitForScreen(page, 'root@node1');
  await typeLine(page, "docker run --rm busybox echo '안녕하세요, Docker!'");
  await waitForScreen(page, /^안녕하세요, Docker!\s*$/m, 60_000);
  await page.getByRole('meter').first().waitFor({ timeout: 60_000 });
  await shooter.shoot(page, 'session-korean');
  await context.close();
}

async function firstInstance(shooter: Shooter, sessionId: string): Promise<string> {
  return eventually(
    async () => {
      const session = await shooter.stack.api<SessionView>('GET', `/api/v1/sessions/${sessionId}`);
      return session.body.instances.find((instance) => instance.status === 'running')?.id;
    },
    { timeoutMs: 60_000, description: 'the session to have a running instance' },
  );
}
