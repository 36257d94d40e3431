import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InstanceView, SessionView } from '@playground/contracts';
import { freePort } from '../infra/launcher/stack.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';
import { eventually } from './support/eventually.ts';
import { echoThroughTerminal } from './support/terminal.ts';

// A node agent's own /metrics (METRICS_PORT, METRICS_TOKEN), as Prometheus scrapes it: the
// figures follow what the node did (an instance created, a terminal used).

describe("a node agent's metrics", { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  let url: string;
  const token = 'agent-metrics-token-for-tests';

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    stack = await startTestStack('agent-metrics', { nodeEnv: () => ({ METRICS_PORT: String(port), METRICS_TOKEN: token }) });
  });
  after(async () => stack?.teardown());

  /** The sample of `name` whose labels are exactly `labels` (in any order). */
  const value = (text: string, name: string, labels: Record<string, string>) => {
    const wanted = Object.entries(labels).map(([key, val]) => `${key}="${val}"`).sort().join(',');
    for (const line of text.split('\n')) {
      const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
      if (match && match[1] === name && match[2]!.split(',').sort().join(',') === wanted) return Number(match[3]);
    }
    return undefined;
  };

  it('asks for its token, then counts instances, jobs, shells and terminal bytes', async () => {
    assert.equal((await fetch(url)).status, 401);
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    const instance = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`, {});
    assert.equal(instance.status, 201);
    await echoThroughTerminal(stack, session.body.id, instance.body.id);
    const node = stack.nodeIds[0]!;
    const text = await eventually(
      async () => {
        const scraped = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
        return (value(scraped, 'playground_agent_instances_running', { node }) ?? 0) >= 1 ? scraped : undefined;
      },
      { timeoutMs: 15_000, description: 'the running instance counted' },
    );
    assert.ok((value(text, 'playground_agent_job_seconds_count', { node, name: 'instance.create', outcome: 'completed' }) ?? 0) >= 1, text);
    assert.ok((value(text, 'playground_agent_terminal_output_bytes_total', { node }) ?? 0) > 0);
    assert.match(text, /^playground_agent_process_resident_memory_bytes\{node=/m);
    // The shell outlives its viewer (the next viewer gets its screen): once the closed
    // terminal's detach has reached the node, no viewer is left.
    const settled = await eventually(
      async () => {
        const scraped = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
        return value(scraped, 'playground_agent_terminals', { node, kind: 'viewers' }) === 0 ? scraped : undefined;
      },
      { timeoutMs: 15_000, description: 'no viewer left once the terminal closed' },
    );
    assert.ok(value(settled, 'playground_agent_terminals', { node, kind: 'shells' }) !== undefined);
  });
});
