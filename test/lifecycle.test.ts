import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { InstanceView, SessionView } from '@playground/contracts';
import { eventually } from './support/eventually.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// The public API and the terminal namespace across the real orchestrator, node agent and
// Docker engine, without a browser: what embeds and tools rely on.

function openTerminal(stack: TestStack, auth: Record<string, unknown>): Socket {
  return io(`${stack.orchestratorUrl}/terminal`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
}

function collectOutput(socket: Socket): { text: () => string } {
  let text = '';
  const decoder = new TextDecoder();
  socket.on('output', (data: string | ArrayBuffer | Uint8Array) => {
    text += typeof data === 'string' ? data : decoder.decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data, { stream: true });
  });
  return { text: () => text };
}

describe('public API and terminals across the real stack', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack('api', { env: { SESSION_TTL_MINUTES: '0.5', MAX_INSTANCES_PER_SESSION: '1' } });
  });
  after(async () => stack?.teardown());

  it('refuses bad input with a JSON error and a status that says why', async () => {
    const badJson = await stack.api<{ error: { code: string; message: string } }>('POST', '/api/v1/sessions', '{nope');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'bad_request');
    const unknownField = await stack.api('POST', '/api/v1/sessions', { image: 'evil' });
    assert.equal(unknownField.status, 400);
    const unknown = await stack.api<{ error: { code: string } }>('GET', `/api/v1/sessions/${'a'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.ok(unknown.body.error.code);
  });

  it('creates a running instance, streams its terminal, enforces the per-session limit', async () => {
    const created = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[a-z2-7]{32}$/);
    assert.deepEqual(created.body.instances, []);

    const instance = await stack.api<InstanceView>('POST', `/api/v1/sessions/${created.body.id}/instances`, {});
    assert.equal(instance.status, 201, JSON.stringify(instance.body));
    assert.equal(instance.body.status, 'running');
    assert.equal(instance.body.hostname, 'node1');
    assert.match(instance.body.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);

    const second = await stack.api<{ error: { code: string; message: string } }>('POST', `/api/v1/sessions/${created.body.id}/instances`, {});
    assert.equal(second.status, 409);
    assert.match(second.body.error.message, /1 instance/);

    const terminal = openTerminal(stack, { sessionId: created.body.id, instanceId: instance.body.id });
    const output = collectOutput(terminal);
    await eventually(async () => output.text().includes('root@node1'), { timeoutMs: 30_000, description: 'the first prompt' });
    terminal.emit('input', 'echo $((6*7))-answer\r');
    await eventually(async () => output.text().includes('42-answer'), { timeoutMs: 10_000, description: 'the echoed answer' });
    terminal.close();

    // Another session's id with this instance: refused at the handshake.
    const other = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    const intruder = openTerminal(stack, { sessionId: other.body.id, instanceId: instance.body.id });
    const refusal = await new Promise<string>((resolve) => {
      intruder.on('connect', () => resolve('connected'));
      intruder.on('connect_error', (error) => resolve(`refused: ${error.message}`));
    });
    intruder.close();
    assert.match(refusal, /^refused/);
    await stack.api('DELETE', `/api/v1/sessions/${other.body.id}`);
  });

  it('expires a session on time even when the orchestrator was killed in between', async () => {
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    const instance = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`, {});
    assert.equal(instance.status, 201, JSON.stringify(instance.body));

    await stack.stop('orchestrator', 'SIGKILL');
    const expiresAt = Date.parse(session.body.expiresAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 1_000));
    stack.start('orchestrator');

    await eventually(async () => (await stack.api('GET', `/api/v1/sessions/${session.body.id}`)).status === 404, { timeoutMs: 60_000, description: 'the expired session to be gone' });
    await eventually(async () => (await stack.leftovers()).length === 0, { timeoutMs: 60_000, description: 'every container, network and volume removed' });
  });
});
