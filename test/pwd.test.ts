import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PWD_EVENT, PwdInstance, PwdNewSessionReply, PwdSession } from '@playground/contracts';
import WebSocket from 'ws';
import { eventually } from './support/eventually.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// Play with Docker's protocol, spoken the way its SDK and training pages speak it, against the
// real stack (edge, orchestrator, node agent, Docker): every route, the plain WebSocket and
// the direct port host form, and bad input on each, which must get its documented answer.

const TUTORIAL_ORIGIN = 'http://tutorial.localhost:4000';
const MAX_FRAME_BYTES = 4096;

type Frame = { name: string; args: unknown[] };

/** A PWD WebSocket client: the frames it received, and a way to wait for one. */
function connect(stack: TestStack, sessionId: string): Promise<{ ws: WebSocket; frames: Frame[]; text: (name: string) => string }> {
  const ws = new WebSocket(`${stack.baseUrl.replace(/^http/, 'ws')}/sessions/${sessionId}/ws/`, { origin: TUTORIAL_ORIGIN });
  const frames: Frame[] = [];
  ws.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as Frame));
  const text = (name: string) =>
    frames.filter((f) => f.name === PWD_EVENT.terminalOut && f.args[0] === name).map((f) => String(f.args[1])).join('');
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, text }));
    ws.once('error', reject);
  });
}

function send(ws: WebSocket, name: string, ...args: unknown[]): void {
  ws.send(JSON.stringify({ name, args }));
}

/** GET with a Host header of our choosing (a port host), through the edge. */
function getWithHost(stack: TestStack, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(stack.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe("Play with Docker's API and WebSocket", { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let sessionId: string;
  let hostname: string;
  let node1: PwdInstance;

  const pwd = async (method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}) => {
    const response = await fetch(`http://${hostname ?? new URL(stack.baseUrl).host}${path}`, { method, redirect: 'manual', ...init });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, headers: response.headers, body: body as any };
  };
  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  before(async () => {
    stack = await startTestStack('pwd', {
      web: true,
      env: { EMBED_ORIGINS: TUTORIAL_ORIGIN, MAX_INSTANCES_PER_SESSION: '2', PWD_WS_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES) },
    });
  });
  after(async () => stack?.teardown());

  it('POST / starts a session for an XHR from an allowed origin, after its preflight; a browser form post goes to the session page', async () => {
    const preflight = await fetch(`${stack.baseUrl}/`, {
      method: 'OPTIONS',
      headers: { origin: TUTORIAL_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-requested-with,content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), TUTORIAL_ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-requested-with/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);

    const started = await pwd('POST', '/', {
      body: 'session-duration=90m',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-requested-with': 'XMLHttpRequest', origin: TUTORIAL_ORIGIN },
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.headers.get('access-control-allow-origin'), TUTORIAL_ORIGIN);
    const reply = PwdNewSessionReply.parse(started.body);
    assert.equal(reply.hostname, new URL(stack.baseUrl).host);
    sessionId = reply.session_id;
    hostname = reply.hostname;

    const session = PwdSession.parse((await pwd('GET', `/sessions/${sessionId}`)).body);
    assert.deepEqual(session.instances, {});
    // 90 minutes asked for, within the playground's own limit.
    const lifetime = Date.parse(session.expires_at) - Date.parse(session.created_at);
    assert.ok(lifetime > 89 * 60_000 && lifetime <= 90 * 60_000 + 5_000, `lives ${lifetime} ms`);

    const form = await pwd('POST', '/', { body: 'session-duration=90m', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 303);
    assert.match(form.headers.get('location') ?? '', /\/p\/[a-z2-7]{32}$/);

    const foreign = await pwd('POST', '/', { headers: { 'x-requested-with': 'XMLHttpRequest', origin: 'http://elsewhere.localhost:5000' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'origin_not_allowed');
  });

  it('unknown sessions and bad bodies get their errors, never a crash', async () => {
    const unknown = await pwd('GET', `/sessions/${'a'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const badJson = await pwd('POST', `/sessions/${sessionId}/instances`, { body: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'bad_request');
    const badName = await pwd('POST', `/sessions/${sessionId}/instances`, json({ Hostname: 'Not A Name!' }));
    assert.equal(badName.status, 400);
    const noSuchInstance = await pwd('POST', `/sessions/${sessionId}/instances/${'b'.repeat(26)}/exec`, json({ command: ['true'] }));
    assert.equal(noSuchInstance.status, 404);
    const ws = new WebSocket(`${stack.baseUrl.replace(/^http/, 'ws')}/sessions/${'a'.repeat(32)}/ws/`);
    const refusal = await new Promise<string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.once('open', () => resolve('open'));
      ws.once('error', (error) => resolve(error.message));
    });
    assert.equal(refusal, '404');
  });

  it('adds instances by name, runs commands, takes uploads; the instance limit is 409', async () => {
    const added = await pwd('POST', `/sessions/${sessionId}/instances`, json({ Hostname: 'node1', ImageName: 'franela/dind' }));
    assert.equal(added.status, 200, JSON.stringify(added.body));
    node1 = PwdInstance.parse(added.body);
    assert.equal(node1.hostname, 'node1');
    assert.equal(node1.session_id, sessionId);
    assert.equal(node1.proxy_host, node1.name);
    assert.match(node1.ip, /^\d+\.\d+\.\d+\.\d+$/);
    const session = PwdSession.parse((await pwd('GET', `/sessions/${sessionId}`)).body);
    assert.deepEqual(Object.keys(session.instances), [node1.name]);

    const failing = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/exec`, json({ command: ['sh', '-c', 'exit 3'] }));
    assert.deepEqual(failing.body, { status_code: 3 });
    const badExec = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/exec`, json({ command: 'ls' }));
    assert.equal(badExec.status, 400);

    const files = new FormData();
    files.append('file', new Blob(['hello from a tutorial\n']), 'hello.txt');
    const uploaded = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/uploads?path=/root/lab`, { body: files });
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const check = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/exec`, json({ command: ['sh', '-c', 'grep -q "hello from a tutorial" /root/lab/hello.txt'] }));
    assert.deepEqual(check.body, { status_code: 0 });
    const empty = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/uploads`, { body: new FormData() });
    assert.equal(empty.status, 400);

    const second = await pwd('POST', `/sessions/${sessionId}/instances`, json({}));
    assert.equal(second.status, 200);
    const third = await pwd('POST', `/sessions/${sessionId}/instances`, json({}));
    assert.equal(third.status, 409);
    // Another session's id reaches none of this session's instances.
    const stranger = PwdNewSessionReply.parse((await pwd('POST', '/', { headers: { 'x-requested-with': 'XMLHttpRequest' } })).body);
    const foreignExec = await pwd('POST', `/sessions/${stranger.session_id}/instances/${node1.name}/exec`, json({ command: ['true'] }));
    assert.equal(foreignExec.status, 404);
    const foreignUpload = await pwd('POST', `/sessions/${stranger.session_id}/instances/${node1.name}/uploads?url=http://127.0.0.1/x`);
    assert.equal(foreignUpload.status, 404);
    assert.equal((await pwd('DELETE', `/sessions/${stranger.session_id}/instances/${node1.name}`)).status, 404);
    await pwd('DELETE', `/sessions/${stranger.session_id}`);

    const secondName = PwdInstance.parse(second.body).hostname;
    assert.equal((await pwd('DELETE', `/sessions/${sessionId}/instances/${PwdInstance.parse(second.body).name}`)).status, 200);
    const reused = await pwd('POST', `/sessions/${sessionId}/instances`, json({ Hostname: secondName }));
    assert.equal(reused.status, 409);
    assert.equal(reused.body.error.code, 'hostname_taken');
  });

  it('the WebSocket carries terminals both ways, tells of new and deleted instances, and a reconnect finds the same shell', async () => {
    const first = await connect(stack, sessionId);
    send(first.ws, PWD_EVENT.viewportResize, 100, 30);
    send(first.ws, PWD_EVENT.terminalIn, node1.name, 'export PWD_MARK=kept-$((40+2))\r');
    send(first.ws, PWD_EVENT.terminalIn, node1.name, 'echo mark:$PWD_MARK\r');
    await eventually(async () => first.text(node1.name).includes('mark:kept-42'), { timeoutMs: 60_000, description: 'the echo over the PWD socket' });

    // Junk is ignored, the socket stays open.
    first.ws.send('not json');
    send(first.ws, 'no such event', 1, 2);
    send(first.ws, PWD_EVENT.terminalIn, 'not-an-instance', 'ls\r');

    const adding = await pwd('POST', `/sessions/${sessionId}/instances`, json({ Hostname: 'worker1' }));
    assert.equal(adding.status, 200, JSON.stringify(adding.body));
    const added = PwdInstance.parse(adding.body);
    const told = await eventually(async () => first.frames.find((f) => f.name === PWD_EVENT.instanceNew && f.args[0] === added.name), { timeoutMs: 15_000, description: 'instance new' });
    assert.deepEqual(told.args, [added.name, added.ip, 'worker1', added.proxy_host]);
    await pwd('DELETE', `/sessions/${sessionId}/instances/${added.name}`);
    await eventually(async () => first.frames.some((f) => f.name === PWD_EVENT.instanceDelete && f.args[0] === added.name), { timeoutMs: 15_000, description: 'instance delete' });
    assert.equal(first.ws.readyState, WebSocket.OPEN);
    first.ws.close();

    const again = await connect(stack, sessionId);
    send(again.ws, PWD_EVENT.terminalIn, node1.name, 'echo again:$PWD_MARK\r');
    await eventually(async () => again.text(node1.name).includes('again:kept-42'), { timeoutMs: 30_000, description: 'the same shell after a reconnect' });

    // A frame over PWD_WS_MAX_FRAME_BYTES closes the socket with 1009 (message too big).
    const closed = new Promise<number>((resolve) => again.ws.once('close', (code) => resolve(code)));
    send(again.ws, PWD_EVENT.terminalIn, node1.name, 'x'.repeat(MAX_FRAME_BYTES * 2));
    assert.equal(await closed, 1009);
  });

  it("serves a published port at PWD's direct host form", async () => {
    const serve = 'docker run -d -p 8080:80 busybox sh -c "mkdir -p /www && echo pwd-direct-ok > /www/index.html && httpd -f -p 80 -h /www"';
    const started = await pwd('POST', `/sessions/${sessionId}/instances/${node1.name}/exec`, json({ command: ['sh', '-c', serve] }));
    assert.deepEqual(started.body, { status_code: 0 });
    const host = `${node1.proxy_host}-8080.direct.${hostname}`;
    const page = await eventually(
      async () => {
        const answer = await getWithHost(stack, host);
        return answer.status === 200 && answer.body.includes('pwd-direct-ok') ? answer : undefined;
      },
      { timeoutMs: 60_000, description: `the page at ${host}` },
    );
    assert.match(page.body, /pwd-direct-ok/);
  });

  it('the session ends by DELETE or by the close beacon; its socket is told and closed', async () => {
    const socket = await connect(stack, sessionId);
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
    const beacon = await pwd('POST', `/sessions/${sessionId}/close`, { body: '', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    assert.equal(beacon.status, 200);
    assert.equal(await closed, 1000);
    assert.ok(socket.frames.some((f) => f.name === PWD_EVENT.sessionEnd));
    const gone = await pwd('GET', `/sessions/${sessionId}`);
    assert.notEqual(gone.status, 200);

    const other = PwdNewSessionReply.parse(
      (await pwd('POST', '/', { headers: { 'x-requested-with': 'XMLHttpRequest' } })).body,
    );
    assert.equal((await pwd('DELETE', `/sessions/${other.session_id}`)).status, 200);
    assert.equal((await pwd('DELETE', `/sessions/${'c'.repeat(32)}`)).status, 404);
  });
});
