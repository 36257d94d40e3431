import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { composeEnv } from '../../infra/compose/make-env.ts';
import { freePort, REPO_ROOT } from '../../infra/launcher/stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';

// The Compose deployment (infra/compose) as an operator runs it: images built offline by
// build.sh (cached by input hash), `docker-compose up` with the host's docker-compose 1.29,
// then the API acceptance and a learner in Chromium through Caddy, and `docker-compose down`.
// Plain HTTP (CADDY_TLS=off): no ACME server is reachable here. The deployment shares this
// machine's engine with other tests, so it gets a node id, a project name and ports of its own.

const run = promisify(execFile);
const COMPOSE_FILE = path.join(REPO_ROOT, 'infra/compose/docker-compose.yml');
const suffix = randomBytes(3).toString('hex');
const project = `pgcompose${suffix}`;
const nodeId = `compose-${suffix}`;
// The host's own mirror (infra/setup.sh) holds 5000 on this machine: the deployment's uses
// another port, which the instance egress firewall must let instances reach (as it lets 5000).
const hostMirrorPort = process.env.MIRROR_PORT ?? '5000';

interface Session {
  id: string;
  status: string;
  instances: Array<{ id: string; status: string; ports: Array<{ port: number; url: string; pathUrl: string }> }>;
}

let env: Record<string, string> = {};
let baseUrl = '';
let publicPort = 0;
let certDir = '';

function compose(args: string[], timeout = 300_000) {
  return run('docker-compose', ['-p', project, '-f', COMPOSE_FILE, ...args], {
    env: { ...process.env, ...env },
    timeout,
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** GET through Caddy with a Host header of our choosing (*.ports.localhost needs no DNS in a browser, but does in Node). */
function getWithHost(host: string, route: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: publicPort, path: route, headers: { host }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Containers, networks and volumes the deployment's node agent made (its label), and the project's own. */
async function engineLeftovers(): Promise<string[]> {
  const found: string[] = [];
  for (const filter of [`label=playground.node=${nodeId}`, `label=com.docker.compose.project=${project}`]) {
    const lists = await Promise.all([
      run('docker', ['ps', '-a', '--filter', filter, '--format', 'container {{.Names}}']),
      run('docker', ['network', 'ls', '--filter', filter, '--format', 'network {{.Name}}']),
      run('docker', ['volume', 'ls', '--filter', filter, '--format', 'volume {{.Name}}']),
    ]);
    found.push(...lists.flatMap(({ stdout }) => stdout.split('\n').filter(Boolean)));
  }
  return found;
}

async function egress(nodePorts: string): Promise<void> {
  await run('bash', [path.join(REPO_ROOT, 'infra/egress.sh'), 'up'], { env: { ...process.env, EGRESS_NODE_PORTS: nodePorts } });
}

describe('the Compose deployment on one Docker host', { timeout: 25 * 60_000 }, () => {
  let browser: Browser | undefined;
  const sessions: string[] = [];

  before(async () => {
    const builtAt = Date.now();
    const { stdout } = await run('bash', [path.join(REPO_ROOT, 'infra/compose/build.sh')], { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    const images = Object.fromEntries(stdout.split('\n').filter((line) => /^[A-Z_]+_IMAGE=/.test(line)).map((line) => line.split('=') as [string, string]));
    console.log(`# build.sh: ${Date.now() - builtAt} ms (${Object.values(images).join(', ')})`);

    publicPort = await freePort();
    const mirrorPort = await freePort();
    certDir = mkdtempSync(path.join(tmpdir(), 'compose-certs-'));
    const { stdout: dataRoot } = await run('docker', ['info', '--format', '{{.DockerRootDir}}']);
    baseUrl = `http://localhost:${publicPort}`;
    env = {
      ...images,
      ...composeEnv({
        publicUrl: baseUrl,
        tls: 'off',
        nodeId,
        extra: {
          WEB_PORT: String(await freePort()),
          ORCHESTRATOR_PORT: String(await freePort()),
          POSTGRES_PORT: String(await freePort()),
          REDIS_PORT: String(await freePort()),
          MIRROR_PORT: String(mirrorPort),
          SSH_PORT: String(await freePort()),
          // The engine's data root (its volumes' btrfs quotas), the remapped one under userns-remap.
          DOCKER_DATA_ROOT: dataRoot.trim(),
          PORTS_CERT_DIR: certDir,
          // Nothing idle on the node, so "nothing left" after the sessions end is exact.
          WARM_POOL_SIZE: '0',
          CAPACITY_INSTANCES: '4',
        },
      }),
    };
    await egress(`tcp:${hostMirrorPort} tcp:${mirrorPort}`);
    await compose(['config', '--quiet']);
    const upAt = Date.now();
    await compose(['up', '-d']);
    await eventually(
      async () => {
        const health = await api<{ ok: boolean; nodes: Array<{ id: string; status: string; linked: boolean }> }>('GET', '/api/v1/health');
        return health.body.ok && health.body.nodes.some((node) => node.id === nodeId && node.status === 'ready' && node.linked);
      },
      { timeoutMs: 180_000, intervalMs: 500, description: 'the deployment to answer /api/v1/health through Caddy with its node ready and linked' },
    ).catch(async (error: Error) => {
      const { stdout: logs } = await compose(['logs', '--no-color', '--tail', '40']).catch((e: Error) => ({ stdout: e.message }));
      throw new Error(`${error.message}\n--- docker-compose logs ---\n${logs}`);
    });
    console.log(`# docker-compose up to healthy: ${Date.now() - upAt} ms`);
  });

  after(async () => {
    await browser?.close();
    for (const id of sessions) await api('DELETE', `/api/v1/sessions/${id}`).catch(() => undefined);
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '20']).catch((error: Error) => console.error(`docker-compose down: ${error.message}`));
    await egress(`tcp:${hostMirrorPort}`).catch((error: Error) => console.error(`egress.sh up: ${error.message}`));
    if (certDir) rmSync(certDir, { recursive: true, force: true });
    // What a failed step left of its sessions (the agent is gone, so nothing else removes it).
    const filter = `label=playground.node=${nodeId}`;
    for (const [list, remove] of [
      [['ps', '-aq', '--filter', filter], ['rm', '-f', '-v']],
      [['network', 'ls', '-q', '--filter', filter], ['network', 'rm']],
      [['volume', 'ls', '-q', '--filter', filter], ['volume', 'rm', '-f']],
    ] as const) {
      const { stdout } = await run('docker', [...list]);
      if (stdout.trim()) await run('docker', [...remove, ...stdout.split('\n').filter(Boolean)]).catch((error: Error) => console.error(error.message));
    }
  });

  it('serves the API: a session, an instance, a command, a published port through both URL forms', async () => {
    const created = await api<Session>('POST', '/api/v1/sessions', {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sessions.push(created.body.id);
    const instance = await api<Session['instances'][number]>('POST', `/api/v1/sessions/${created.body.id}/instances`, {});
    assert.equal(instance.status, 201, JSON.stringify(instance.body));
    assert.equal(instance.body.status, 'running');

    // The instance's engine pulls through the deployment's mirror (the only registry it has).
    // (Applied again here: infra/setup.sh, run by anything else on this machine, resets the rules.)
    await egress(`tcp:${hostMirrorPort} tcp:${env.MIRROR_PORT}`);
    const exec = await api<{ exitCode: number; output: string }>('POST', `/api/v1/sessions/${created.body.id}/instances/${instance.body.id}/exec`, {
      script: `docker info --format '{{json .RegistryConfig.Mirrors}}'; docker run -d -p 8080:80 busybox sh -c 'mkdir -p /www && echo compose-port-ok > /www/index.html && httpd -f -p 80 -h /www' >/dev/null && echo started-$((6*7))`,
    });
    assert.equal(exec.status, 200, JSON.stringify(exec.body));
    assert.equal(exec.body.exitCode, 0, exec.body.output);
    assert.match(exec.body.output, new RegExp(`:${env.MIRROR_PORT}/`), 'the instance uses the deployment mirror');
    assert.match(exec.body.output, /started-42/);

    const port = await eventually(
      async () => (await api<Session>('GET', `/api/v1/sessions/${created.body.id}`)).body.instances[0]?.ports.find((p) => p.port === 8080),
      { timeoutMs: 30_000, intervalMs: 500, description: 'port 8080 to be listed' },
    );
    assert.equal(port.url, `http://${instance.body.id}-8080.ports.localhost:${publicPort}/`);
    const pathForm = await fetch(`${baseUrl}/ports/${instance.body.id}/8080/`);
    assert.equal(pathForm.status, 200);
    assert.match(await pathForm.text(), /compose-port-ok/);
    const hostForm = await getWithHost(new URL(port.url).host, '/');
    assert.equal(hostForm.status, 200);
    assert.match(hostForm.text, /compose-port-ok/);
  });

  it('lets a learner start a session in Chromium and type into its terminal', async () => {
    browser = await launchBrowser();
    const page: Page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await page.getByTestId('start-session').click({ timeout: 30_000 });
    await page.waitForURL(/\/p\/[a-z2-7]{32}$/, { timeout: 30_000 });
    sessions.push(page.url().split('/p/')[1]!);
    const screen = () => page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
    await eventually(async () => (await screen()).includes('root@node1'), { timeoutMs: 90_000, intervalMs: 250, description: 'the prompt in the terminal' }).catch(
      async (error: Error) => {
        // What the learner would see instead (an error message, a spinner): the failure says it.
        const shows = await page.locator('body').innerText().catch(() => '(no page)');
        throw new Error(`${error.message}\n--- page errors ---\n${pageErrors.join('\n')}\n--- page shows ---\n${shows.slice(0, 2000)}`);
      },
    );
    await page.locator('[data-testid="terminal"]:visible .xterm').click();
    await page.keyboard.type('echo typed-$((6*7))-in-compose');
    await page.keyboard.press('Enter');
    await eventually(async () => (await screen()).includes('typed-42-in-compose'), { timeoutMs: 30_000, intervalMs: 250, description: 'the command output in the terminal' });
  });

  it("gives Caddy a configuration for every TLS mode (acme and internal are adapted, not served: no ACME server here)", async () => {
    const adapt = async (tls: string, site: string, portsSite: string) => {
      const { stdout } = await run('docker', [
        'run', '--rm', '--userns=host', '--network=none',
        '-v', `${path.join(REPO_ROOT, 'infra/compose/Caddyfile')}:/etc/caddy/Caddyfile:ro`,
        '-e', `CADDY_SITE=${site}`, '-e', `CADDY_PORTS_SITE=${portsSite}`, '-e', `CADDY_TLS=${tls}`,
        '-e', 'ACME_EMAIL=ops@example.com', '-e', 'WEB_PORT=8080',
        env.RUNTIME_IMAGE!, 'caddy', 'adapt', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile',
      ]);
      return JSON.parse(stdout) as { apps: { tls?: { certificates?: { load_files: Array<{ certificate: string }> }; automation?: { policies: Array<{ subjects: string[]; issuers: Array<{ module: string; email?: string }> }> } } } };
    };
    const acme = await adapt('acme', 'https://play.example.com', 'https://*.ports.play.example.com');
    assert.deepEqual(acme.apps.tls?.certificates?.load_files.map((file) => file.certificate), ['/certs/ports.crt'], 'port hosts: the wildcard certificate from files');
    const sitePolicy = acme.apps.tls?.automation?.policies.find((policy) => policy.subjects.includes('play.example.com'));
    assert.ok(sitePolicy?.issuers.some((issuer) => issuer.module === 'acme' && issuer.email === 'ops@example.com'), 'the site: ACME with the account e-mail');
    assert.ok(!sitePolicy?.subjects.includes('*.ports.play.example.com'), 'no ACME issuance for port hosts');
    const internal = await adapt('internal', 'https://play.example.com', 'https://*.ports.play.example.com');
    assert.deepEqual(internal.apps.tls?.automation?.policies.map((policy) => [policy.subjects, policy.issuers.map((issuer) => issuer.module)]), [
      [['play.example.com', '*.ports.play.example.com'], ['internal']],
    ]);
    const off = await adapt('off', 'http://localhost:18080', 'http://*.ports.localhost:18080');
    assert.equal(off.apps.tls, undefined, 'no certificates without TLS');
  });

  it('ends the sessions and leaves nothing of them on the engine', async () => {
    assert.equal(sessions.length, 2);
    for (const id of sessions.splice(0)) {
      const closed = await api('DELETE', `/api/v1/sessions/${id}`);
      assert.equal(closed.status, 204);
      assert.equal((await api('GET', `/api/v1/sessions/${id}`)).status, 404);
    }
    const nodeLeftovers = async () => (await engineLeftovers()).filter((item) => !item.includes(project));
    await eventually(async () => (await nodeLeftovers()).length === 0, { timeoutMs: 60_000, intervalMs: 500, description: 'no container, network or volume of the sessions' }).catch(
      async (error: Error) => assert.fail(`${error.message}: ${(await nodeLeftovers()).join(', ')}`),
    );
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '20']);
    assert.deepEqual(await engineLeftovers(), [], 'docker-compose down removes the deployment, its network and volumes');
  });
});
