import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InstanceView, SessionView } from '@playground/contracts';
import { startTestStack, type TestStack } from './support/test-stack.ts';
import { eventually } from './support/eventually.ts';

// One id follows one action through the edge, the orchestrator and the node agent: the
// answer names it, and the orchestrator's access line and the agent's line for the job the
// request sent both carry it.

describe('request ids', { timeout: 5 * 60_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack('request-id', { web: true });
  });
  after(async () => stack?.teardown());

  const logLines = async (file: string) =>
    (await readFile(path.join(stack.options.logDir, file), 'utf8').catch(() => ''))
      .split('\n')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  it('gives each request an id that the orchestrator and the agent log with the work it caused', async () => {
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`, {});
    assert.equal(created.status, 201);
    const requestId = created.headers.get('x-request-id');
    assert.match(requestId ?? '', /^[0-9a-f-]{36}$/, 'the edge gave the request an id');
    assert.notEqual(requestId, session.headers.get('x-request-id'), 'each request has its own');

    const orchestrator = await eventually(
      async () => (await logLines('orchestrator.log')).find((line) => line.msg === 'http.request' && line.requestId === requestId && line.status === 201),
      { timeoutMs: 10_000, description: "the orchestrator's access line with the id" },
    );
    assert.equal(orchestrator.method, 'POST');
    const agentLog = `agent-${stack.nodeIds[0]}.log`;
    const job = await eventually(
      async () => (await logLines(agentLog)).find((line) => line.msg === 'job.completed' && line.requestId === requestId),
      { timeoutMs: 10_000, description: "the agent's line for the create job with the same id" },
    );
    assert.equal(job.name, 'instance.create');
  });

  it('does not take an id from a browser (only from a trusted proxy)', async () => {
    const response = await fetch(`${stack.baseUrl.replace('localhost', '127.0.0.1')}/api/v1/templates`, { headers: { 'x-request-id': 'forged-by-browser' } });
    assert.equal(response.status, 200);
    assert.notEqual(response.headers.get('x-request-id'), 'forged-by-browser');
  });
});
