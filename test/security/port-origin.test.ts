import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newInstanceId, newSessionId } from '@playground/contracts';
import type { Browser, BrowserContext } from 'playwright-core';
import { startTestOrchestrator, type TestOrchestrator } from '../../apps/orchestrator/test/harness.ts';
import { standInAgentLink } from '../../apps/orchestrator/test/port-tunnel.ts';
import { launchBrowser } from '../support/browser.ts';
import { startEdge } from '../support/edge.ts';

// A hostile learner page, opened in real Chromium through the port proxy. On the path form
// (/ports/…, the app's own origin) every attempt to reach the app's cookies, storage, API or
// service-worker scope must fail; on the host form (an origin of its own) the same page
// succeeds at the same attempts, which shows the probes would notice if the guard broke.
// The browser goes through the web's real edge server (test/support/edge.ts) to the
// orchestrator's port tunnel; a real HTTP server on loopback stands in for the learner's
// server inside an instance, reached over a node agent link (apps/orchestrator/test/port-tunnel.ts).

interface Probe {
  origin: string;
  readCookie: string;
  writeCookie: string;
  storage: string;
  api: string;
  serviceWorker: string;
  instructor: string;
  createWorkshop: string;
}

const HOSTILE_PAGE = `<!doctype html><html><body><script>
(async () => {
  const attempt = async (fn) => { try { return 'ok:' + String(await fn()); } catch (e) { return 'refused:' + e.name; } };
  const probe = {
    origin: String(self.origin),
    readCookie: await attempt(() => document.cookie),
    writeCookie: await attempt(() => { document.cookie = 'script=1; path=/'; return document.cookie; }),
    storage: await attempt(() => { localStorage.setItem('k', 'v'); return localStorage.getItem('k'); }),
    api: await attempt(async () => (await fetch(location.origin + '/api/v1/health', { credentials: 'include' })).status),
    serviceWorker: await attempt(async () => (await navigator.serviceWorker.register('sw.js')).scope),
    instructor: await attempt(async () => (await fetch(location.origin + '/api/v1/me', { credentials: 'include' })).text()),
    // text/plain keeps it a simple request (no preflight): it reaches the server, which must not act on it.
    createWorkshop: await attempt(async () => (await fetch(location.origin + '/api/v1/workshops', {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ title: 'pwned', seats: 1 }),
    })).status),
  };
  document.title = 'probed';
  window.probe = probe;
})();
</script></body></html>`;

describe('learner pages never act as the app (real Chromium through the port proxy)', () => {
  let t: TestOrchestrator;
  let learner: Server;
  let learnerPort: number;
  let browser: Browser;
  let context: BrowserContext;
  let edge: Awaited<ReturnType<typeof startEdge>>;
  let agentLink: Awaited<ReturnType<typeof standInAgentLink>>;
  const seenCookies: Array<string | undefined> = [];
  const instanceId = newInstanceId();

  before(async () => {
    t = await startTestOrchestrator('port-origin', { PUBLIC_URL: 'http://localhost:8080' });
    learner = createServer((req, res) => {
      seenCookies.push((req.headers as IncomingHttpHeaders).cookie);
      if (req.url?.endsWith('/sw.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript', 'service-worker-allowed': '/' }).end('self.onfetch = () => {};');
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/html',
        'set-cookie': ['served=1; Path=/', 'parent=1; Path=/; Domain=localhost'],
        'service-worker-allowed': '/',
      });
      res.end(HOSTILE_PAGE);
    });
    await new Promise<void>((resolve) => learner.listen(0, '127.0.0.1', resolve));
    learnerPort = (learner.address() as AddressInfo).port;
    const nodeId = await t.addNode();
    const sessionId = newSessionId();
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'test', nodeId, expiresAt: new Date(Date.now() + 3600_000) } });
    await t.app.db.instance.create({
      data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '127.0.0.1', ports: [learnerPort] },
    });
    agentLink = await standInAgentLink(t, nodeId);
    edge = await startEdge(t.baseUrl);
    browser = await launchBrowser();
    context = await browser.newContext();
  });
  after(async () => {
    await edge?.close();
    agentLink?.close();
    await context?.close();
    await browser?.close();
    await new Promise((resolve) => learner?.close(resolve));
    await t?.close();
  });

  async function probe(url: string): Promise<Probe> {
    const page = await context.newPage();
    try {
      await page.goto(url);
      await page.waitForFunction("document.title === 'probed'", undefined, { timeout: 10_000 });
      return (await page.evaluate('window.probe')) as Probe;
    } finally {
      await page.close();
    }
  }

  it('path form: opaque origin; no cookie, storage, credentialed API call or service worker', async () => {
    const appOrigin = `http://localhost:${edge.port}`;
    // A cookie of the app's origin, as if the app set one.
    await context.addCookies([{ name: 'app', value: 'secret', url: appOrigin }]);
    seenCookies.length = 0;
    const result = await probe(`${appOrigin}/ports/${instanceId}/${learnerPort}/`);
    assert.equal(result.origin, 'null');
    assert.match(result.readCookie, /^refused:SecurityError/);
    assert.match(result.writeCookie, /^refused:SecurityError/);
    assert.match(result.storage, /^refused:SecurityError/);
    assert.match(result.api, /^refused:TypeError/, 'the API answers no opaque origin');
    assert.match(result.serviceWorker, /^refused:/);
    // Neither the served Set-Cookie nor the script added anything to the app's cookies.
    const cookies = (await context.cookies(appOrigin)).map((cookie) => cookie.name);
    assert.deepEqual(cookies, ['app']);
    assert.deepEqual(seenCookies, [undefined], "the app's cookie never reached the learner's server");
  });

  it("path form: a signed-in instructor's browser opens a learner's page, which cannot act as the instructor", async () => {
    const appOrigin = `http://localhost:${edge.port}`;
    const made = await t.request('POST', '/api/v1/instructors', {
      body: JSON.stringify({ email: 'teacher@example.org', name: 'Teacher', password: 'a long enough password' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
    });
    assert.equal(made.status, 201);
    const signedIn = await t.request('POST', '/api/auth/sign-in/email', {
      body: JSON.stringify({ email: 'teacher@example.org', password: 'a long enough password' }),
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
    });
    assert.equal(signedIn.status, 200);
    const [name, value] = signedIn.headers.getSetCookie()[0]!.split(';')[0]!.split('=');
    await context.addCookies([{ name: name!, value: value!, url: appOrigin, httpOnly: true, sameSite: 'Lax' }]);
    // Positive control: the app's own page (PUBLIC_URL's origin) is the instructor with that cookie.
    const own = await t.request('GET', '/api/v1/me', { headers: { cookie: `${name}=${value}`, origin: 'http://localhost:8080' } });
    assert.match(await own.text(), /teacher@example\.org/);

    const result = await probe(`${appOrigin}/ports/${instanceId}/${learnerPort}/`);
    assert.match(result.instructor, /^refused:TypeError/, "the instructor's identity is unreadable");
    assert.ok(!result.instructor.includes('teacher@example.org'));
    assert.equal(await t.app.db.workshop.count({ where: { title: 'pwned' } }), 0, 'no workshop was made with the cookie');
  });

  it('host form (positive control): the same page keeps its own origin, cookies and storage', async () => {
    const origin = `http://${instanceId}-${learnerPort}.ports.localhost:${edge.port}`;
    const result = await probe(`${origin}/`);
    assert.equal(result.origin, origin);
    assert.match(result.writeCookie, /^ok:.*script=1/);
    assert.match(result.readCookie, /served=1/, "the learner's server set its own cookie on its own host");
    assert.equal(result.storage, 'ok:v');
    assert.deepEqual((await context.cookies(origin)).map((cookie) => cookie.name).sort(), ['script', 'served']);
    // The app's cookie is host-only: the learner's host never gets it.
    assert.ok(!seenCookies.some((header) => header?.includes('app=secret')));
  });
});
