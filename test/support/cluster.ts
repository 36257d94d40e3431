import assert from 'node:assert/strict';
import { instanceContainerName, type InstanceView, type NodeListView, type NodeView, type SessionView } from '@playground/contracts';
import type { TestStack } from './test-stack.ts';

// What the cluster tests ask of a multi-node stack: the operator's view of the nodes, and
// which engine really runs an instance (by its labels, on every node's engine).

export interface ApiError {
  error: { code: string; message: string };
}

export async function listNodes(stack: TestStack): Promise<Map<string, NodeView>> {
  const response = await stack.admin<NodeListView>('GET', '/api/v1/nodes');
  assert.equal(response.status, 200, `GET /api/v1/nodes: ${JSON.stringify(response.body)}`);
  return new Map(response.body.nodes.filter((node) => stack.nodeIds.includes(node.id)).map((node) => [node.id, node]));
}

export async function createSession(stack: TestStack): Promise<SessionView> {
  const response = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
  assert.equal(response.status, 201, `POST /api/v1/sessions: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Creates a session and tells which node the scheduler put it on (from the nodes' usage). */
export async function createSessionOnSomeNode(stack: TestStack): Promise<{ session: SessionView; nodeId: string }> {
  const before = await listNodes(stack);
  const session = await createSession(stack);
  const after = await listNodes(stack);
  const grown = [...after.values()].filter((node) => node.usage.sessions === (before.get(node.id)?.usage.sessions ?? 0) + 1);
  assert.equal(grown.length, 1, `exactly one node should have gained the session: ${JSON.stringify([...after.values()].map((n) => [n.id, n.usage]))}`);
  return { session, nodeId: grown[0]!.id };
}

export async function createInstance(stack: TestStack, sessionId: string): Promise<InstanceView> {
  const response = await stack.api<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`, {});
  assert.equal(response.status, 201, `POST instances: ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.body.status, 'running');
  return response.body;
}

/**
 * Containers of this instance, per node engine ({ nodeId: count }, zero counts left out). By
 * name, not label: a claimed warm-pool member becomes the instance by being renamed.
 */
export async function containersOf(stack: TestStack, instanceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const nodeId of stack.nodeIds) {
    const out = await stack.docker(nodeId, ['ps', '-a', '-q', '--filter', `name=^/?${instanceContainerName(instanceId)}$`]);
    const count = out.split('\n').filter(Boolean).length;
    if (count) counts[nodeId] = count;
  }
  return counts;
}

/** The node whose engine runs this instance; fails unless exactly one container exists. */
export async function nodeOfInstance(stack: TestStack, instanceId: string): Promise<string> {
  const counts = await containersOf(stack, instanceId);
  assert.deepEqual(Object.values(counts), [1], `one container for instance ${instanceId}, found ${JSON.stringify(counts)}`);
  return Object.keys(counts)[0]!;
}

export function assertNoCapacity(response: { status: number; body: unknown; headers: Headers }, what: string): void {
  assert.equal(response.status, 503, `${what}: expected 503, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal((response.body as ApiError).error.code, 'no_capacity', `${what}: ${JSON.stringify(response.body)}`);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isFinite(retryAfter) && retryAfter > 0, `${what}: Retry-After should be a positive number, got ${response.headers.get('retry-after')}`);
}

