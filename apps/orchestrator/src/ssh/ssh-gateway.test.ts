import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EVENT, newInstanceId, newSessionId } from '@playground/contracts';
import { eventually } from '../../../../test/support/eventually.ts';
import { startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';

// The gateway's own rules that need no Docker (the whole path, with a real instance, is
// test/ssh.test.ts): a login is audited, a silent connection is closed after
// SSH_IDLE_TIMEOUT_MS, and closing the orchestrator ends connections that never logged in.

const IDLE_MS = 1_500;

describe('SSH gateway', { timeout: 120_000 }, () => {
  let t: TestOrchestrator;
  let port: number;
  const instanceId = newInstanceId();

  before(async () => {
    t = await startTestOrchestrator('ssh', { SSH_IDLE_TIMEOUT_MS: String(IDLE_MS) });
    port = t.app.ssh.address()!.port;
    const nodeId = await t.addNode();
    const sessionId = newSessionId();
    await t.app.db.session.create({ data: { id: sessionId, clientKey: 'test', nodeId, expiresAt: new Date(Date.now() + 3_600_000) } });
    await t.app.db.instance.create({ data: { id: instanceId, sessionId, nodeId, hostname: 'node1', status: 'running', ip: '127.0.0.1' } });
  });
  after(async () => t?.close());

  it('audits a login and closes the connection once it has been silent too long', async () => {
    const child = spawn('/usr/bin/ssh', [
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
      '-p', String(port), '-N', `${instanceId}@127.0.0.1`,
    ], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await eventually(() => t.app.db.auditEvent.findFirst({ where: { type: EVENT.instanceSshConnected, instanceId } }), {
        timeoutMs: 30_000,
        description: 'the login in the audit trail',
      });
      // -N sends nothing: the gateway ends the connection by itself, and the client exits.
      assert.equal(typeof (await exited), 'number');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('ends a connection that never logged in when the orchestrator closes', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // It reads (the server's greeting), as a client would, so it sees the server hang up.
    socket.resume();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await t.app.ssh.close();
    await closed;
    assert.equal(t.app.ssh.address(), null);
  });
});
