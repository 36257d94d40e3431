import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AgentToOrchestrator, OrchestratorToAgent } from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from '../../test/harness.ts';

// A public playground refuses agents whose security mode lets a learner reach the host,
// against a real orchestrator; the refusal carries `fatal` so the agent exits instead of
// retrying, and the operator can accept such agents only by saying so.

type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;

async function tryConnect(t: TestOrchestrator, securityMode: string): Promise<{ connected: boolean; message?: string; data?: unknown }> {
  const agent: AgentClient = connect(`${t.baseUrl}/agent`, {
    auth: { nodeId: 'node-refusal', token: t.agentToken('node-refusal'), securityMode },
    transports: ['websocket'],
    reconnection: false,
  });
  try {
    return await new Promise((resolve) => {
      agent.on('connect', () => resolve({ connected: true }));
      agent.on('connect_error', (err: Error & { data?: unknown }) => resolve({ connected: false, message: err.message, data: err.data }));
    });
  } finally {
    agent.close();
  }
}

describe('agents in an unsafe security mode', () => {
  const stacks: TestOrchestrator[] = [];
  after(async () => {
    for (const t of stacks) await t.close();
  });

  it('are refused, fatally and with the reason, when PUBLIC_URL is not loopback; userns agents are accepted', async () => {
    const t = await startTestOrchestrator('unsafe-public', { PUBLIC_URL: 'https://play.example.com' });
    stacks.push(t);
    for (const mode of ['minimal-caps', 'privileged']) {
      const result = await tryConnect(t, mode);
      assert.equal(result.connected, false, `${mode} must be refused on a public playground`);
      assert.match(result.message ?? '', new RegExp(`SECURITY_MODE=${mode}.*root on the host.*ALLOW_UNSAFE_SECURITY_MODE`));
      assert.deepEqual(result.data, { fatal: true, code: 'unsafe_security_mode' });
    }
    assert.equal((await tryConnect(t, 'userns')).connected, true);
  });

  it('are accepted on a loopback playground, and in public once the operator allows them', async () => {
    const local = await startTestOrchestrator('unsafe-local', { PUBLIC_URL: 'http://localhost:8080' });
    stacks.push(local);
    assert.equal((await tryConnect(local, 'minimal-caps')).connected, true);
    const allowed = await startTestOrchestrator('unsafe-allowed', { PUBLIC_URL: 'https://play.example.com', ALLOW_UNSAFE_SECURITY_MODE: 'true' });
    stacks.push(allowed);
    assert.equal((await tryConnect(allowed, 'minimal-caps')).connected, true);
  });
});
