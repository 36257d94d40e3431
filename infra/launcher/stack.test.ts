import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { linkAgent } from '../../apps/orchestrator/test/agent-client.ts';
import { startTestOrchestrator, type TestOrchestrator } from '../../apps/orchestrator/test/harness.ts';
import { waitForHealthy, type HealthTarget } from './stack.ts';

// The launcher's readiness wait against a real orchestrator: `npm start` prints "ready" only
// once every node it started both sends heartbeats and has its agent's link up, and when a
// node never links, it says which.

describe('waitForHealthy (the wait before "Playground ready")', () => {
  let t: TestOrchestrator;
  before(async () => {
    t = await startTestOrchestrator('wait-healthy');
  });
  after(async () => t?.close());

  it('waits for the agent link of a node that already sends heartbeats, and names it when it never comes', async () => {
    const nodeId = await t.addNode();
    const target: HealthTarget = {
      orchestrators: [{ name: 'orchestrator', url: t.baseUrl }],
      orchestratorUrl: t.baseUrl,
      processes: new Map(),
      options: { nodes: [{ nodeId }], logDir: '/var/log/example' },
    };
    await assert.rejects(waitForHealthy(target, 1_500), (error: Error) => {
      assert.match(error.message, new RegExp(`node\\(s\\) ${nodeId} send heartbeats but their agent has no link to any orchestrator replica`));
      assert.match(error.message, new RegExp(`/var/log/example/agent-${nodeId}\\.log`));
      return true;
    });

    // The link comes up while the launcher waits: the wait ends.
    const waiting = waitForHealthy(target, 10_000);
    const agent = await linkAgent(t.baseUrl, nodeId, t.agentToken(nodeId));
    try {
      await waiting;
    } finally {
      agent.close();
    }
  });
});
