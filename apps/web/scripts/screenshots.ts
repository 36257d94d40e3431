// Look-check of the pages: starts the real edge server (production build) against a
// stand-in API with canned sessions and a fake shell, and saves Chromium screenshots.
// Usage: (cd apps/web && npx next build && node --import tsx scripts/screenshots.ts [outDir])
// Writes to /tmp/playground-shots by default — never into the repository.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Server as SocketIoServer } from 'socket.io';

const OUT = process.argv[2] ?? '/tmp/playground-shots';
const SESSION = 'abcdefghijklmnopqrstuvwxyz234567';
const now = Date.now();
let expiresAt = new Date(now + 3 * 3600_000 + 47 * 60_000 + 12_000).toISOString();

function instance(n: number, id: string, ports: number[]) {
  return {
    id,
    hostname: `node${n}`,
    ip: `10.0.${n}.2`,
    status: 'running',
    createdAt: new Date(now).toISOString(),
    ports: ports.map((port) => ({
      port,
      url: `http://${id}-${port}.ports.localhost:PORT/`,
      pathUrl: `http://localhost:PORT/ports/${id}/${port}/`,
    })),
    portUrlTemplate: `http://${id}-{port}.ports.localhost:PORT/`,
    ssh: `ssh ${id}@localhost -p 2222`,
    warning: null,
    reason: null,
  };
}
let instances = [instance(1, 'aaaaaaaaaaaaaaaaaaaaaaaaaa', [80, 8080]), instance(2, 'bbbbbbbbbbbbbbbbbbbbbbbbbb', [])];
let failNextAdd = false;
let ended = false;

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
let edgePort = 0;
const view = () =>
  JSON.parse(
    JSON.stringify({ id: SESSION, status: 'active', createdAt: new Date(now).toISOString(), expiresAt, limits: { maxInstances: 5 }, instances }).replaceAll(
      'PORT',
      String(edgePort),
    ),
  );

async function api(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '';
  if (ended && url.startsWith(`/api/v1/sessions/${SESSION}`)) return json(res, 404, { error: { code: 'not_found', message: 'No such session.' } });
  if (req.method === 'POST' && url === '/api/v1/sessions') return json(res, 201, view());
  if (req.method === 'GET' && url === `/api/v1/sessions/${SESSION}`) return json(res, 200, view());
  if (req.method === 'POST' && url === `/api/v1/sessions/${SESSION}/instances`) {
    await new Promise((r) => setTimeout(r, 4000));
    if (failNextAdd) return json(res, 409, { error: { code: 'instance_limit', message: 'This session already has 5 instances, the most it can hold. Delete one to add another.' } });
    const created = instance(instances.length + 1, 'c'.repeat(26), []);
    instances = [...instances, created];
    return json(res, 201, JSON.parse(JSON.stringify(created).replaceAll('PORT', String(edgePort))));
  }
  json(res, 404, { error: { code: 'not_found', message: 'Not found.' } });
}

const FAKE_SCREEN = [
  '\x1b[1;32mroot@node1\x1b[0m:\x1b[1;34m~\x1b[0m# docker run -d -p 8080:80 nginx',
  'Unable to find image \'nginx:latest\' locally',
  'latest: Pulling from library/nginx',
  'Status: Downloaded newer image for nginx:latest',
  '9c1f4e2d7b3a5e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
  '\x1b[1;32mroot@node1\x1b[0m:\x1b[1;34m~\x1b[0m# docker ps',
  'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS                  NAMES',
  '9c1f4e2d7b3a   nginx     "/docker-entrypoint.…"   3 seconds ago   Up 2 seconds   0.0.0.0:8080->80/tcp   eager_turing',
  '\x1b[1;32mroot@node1\x1b[0m:\x1b[1;34m~\x1b[0m# curl -s localhost:8080 | grep title    # docs: https://docs.docker.com/',
  '<title>Welcome to nginx!</title>',
  '\x1b[1;32mroot@node1\x1b[0m:\x1b[1;34m~\x1b[0m# ',
].join('\r\n');

async function main() {
  mkdirSync(OUT, { recursive: true });
  const engineHolder = new SocketIoServer({ transports: ['websocket'] });
  engineHolder.attach(createServer());
  let connections = 0;
  const resizes: string[] = [];
  engineHolder.of('/terminal').on('connection', (socket) => {
    connections += 1;
    socket.emit('output', FAKE_SCREEN);
    socket.on('input', (data: string) => socket.emit('output', data === '\r' ? '\r\n' : data));
    socket.on('resize', (size: { cols: number; rows: number }) => resizes.push(`${size.cols}x${size.rows}`));
  });
  const standIn = createServer((req, res) => {
    if (req.url?.startsWith('/socket.io/')) return void engineHolder.engine.handleRequest(req as never, res);
    void api(req, res);
  });
  standIn.on('upgrade', (req, socket, head) => engineHolder.engine.handleUpgrade(req as never, socket, head));
  await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
  const standInPort = (standIn.address() as AddressInfo).port;
  edgePort = 18000 + Math.floor(Math.random() * 1000);

  const edge = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: path.join(import.meta.dirname, '..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', PORT: String(edgePort), HOST: '127.0.0.1', ORCHESTRATOR_URL: `http://127.0.0.1:${standInPort}`, LOG_LEVEL: 'warn' } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${edgePort}/`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const base = `http://localhost:${edgePort}`;
    await page.goto(base);
    await page.screenshot({ path: `${OUT}/1-landing.png` });

    await page.getByTestId('start-session').click();
    await page.waitForURL(/\/p\//);
    await page.locator('[data-testid="terminal"] .xterm-rows').getByText('Welcome to nginx').waitFor();
    await page.waitForTimeout(400);
    // Keystrokes reach the shell and its echo is drawn in the DOM rows.
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.type('echo typed-through-xterm');
    await page.locator('[data-testid="terminal"]:visible .xterm-rows').getByText('typed-through-xterm').waitFor({ timeout: 5000 });
    await page.screenshot({ path: `${OUT}/2-playground.png` });
    // Switching instances keeps every shell connected (no new connections on switch back).
    const before = connections;
    await page.getByTestId('instance-item').nth(1).click();
    await page.locator('[data-testid="terminal"]:visible .xterm-rows').getByText('Welcome to nginx').waitFor();
    await page.getByTestId('instance-item').nth(0).click();
    await page.waitForTimeout(300);
    if (connections !== before) throw new Error(`switching instances reconnected terminals (${before} → ${connections})`);
    if (!(await page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText()).includes('typed-through-xterm')) {
      throw new Error('the first terminal lost its screen when switching');
    }
    await page.setViewportSize({ width: 1200, height: 700 });
    await page.waitForTimeout(400);
    console.log(`terminal connections: ${connections}; resizes sent: ${resizes.join(', ') || 'none'}`);
    await page.setViewportSize({ width: 1400, height: 860 });

    await page.getByTestId('add-instance').click();
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${OUT}/3-adding.png` });
    await page.getByTestId('instance-item').nth(2).waitFor();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${OUT}/4-added.png` });

    failNextAdd = true;
    expiresAt = new Date(Date.now() + 7 * 60_000).toISOString();
    await page.getByTestId('add-instance').click();
    await page.getByTestId('error-banner').waitFor({ timeout: 10_000 });
    await page.getByTestId('open-port-input').fill('70000');
    await page.getByTestId('open-port-button').click();
    await page.waitForTimeout(1600);
    await page.screenshot({ path: `${OUT}/5-errors-warning.png` });

    ended = true;
    await page.getByTestId('session-ended').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${OUT}/6-ended.png` });

    await page.goto(`${base}/nope`);
    await page.screenshot({ path: `${OUT}/7-not-found.png` });

    const small = await browser.newPage({ viewport: { width: 420, height: 820 } });
    await small.goto(base);
    await small.screenshot({ path: `${OUT}/8-landing-mobile.png`, fullPage: true });
    console.log(`screenshots in ${OUT}`);
  } finally {
    await browser.close();
    edge.kill('SIGTERM');
    engineHolder.close();
    standIn.close();
  }
}

await main();
