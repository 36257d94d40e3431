import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { InstanceView, SessionView } from '@playground/contracts';
import { startTestStack, type TestStack } from '../../test/support/test-stack.ts';
import { INSTANCE_LIMITS } from './docker-floor.ts';

// The stack under test: the same private stack the cross-app tests start (own database,
// own Redis logical database, own node id, free ports), with limits raised so the load the
// benchmark makes is not refused, and with production log level.

export interface BenchStack {
  stack: TestStack;
  nodeId: string;
  /** Process ids of the orchestrator and the node agent (for RSS sampling). */
  pids: { orchestrator: number; agent: number };
  createSession(): Promise<SessionView>;
  createInstance(sessionId: string, timeoutMs?: number): Promise<InstanceView>;
  deleteInstance(sessionId: string, instanceId: string): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
  /** A session with one running instance; `ms` covers both API calls. */
  sessionWithInstance(): Promise<{ session: SessionView; instance: InstanceView; ms: number }>;
}

export class BenchApiError extends Error {
  readonly code = 'bench_api_failed';
}

/**
 * Healthy (a heartbeat in Redis) is not yet linked: until the agent's socket to the
 * orchestrator is up and its first reconcile has run, a new instance can be reported gone by
 * that reconcile. The agent logs `node.reconciled` once that is over.
 */
async function waitForAgentLink(logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    if (text.includes('"node.reconciled"')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new BenchApiError(`the node agent did not link to the orchestrator within ${timeoutMs} ms (no node.reconciled in ${logFile})`);
}

export async function startBenchStack(name: string, extraEnv: Record<string, string> = {}): Promise<BenchStack> {
  const stack = await startTestStack(name, {
    env: {
      LOG_LEVEL: 'info',
      // Every session comes from 127.0.0.1 here; the per-client limit would stop the load test.
      MAX_SESSIONS_PER_CLIENT: '1000',
      MAX_INSTANCES_PER_SESSION: '100',
      CAPACITY_INSTANCES: '200',
      // Idle instances hold ~50 MiB of their 1 GiB limit; let the scheduler overcommit.
      CAPACITY_MEMORY_MB: '262144',
      INSTANCE_CPUS: String(INSTANCE_LIMITS.cpus),
      INSTANCE_MEMORY_MB: String(INSTANCE_LIMITS.memoryMb),
      INSTANCE_PIDS: String(INSTANCE_LIMITS.pids),
      // Cold means cold: time_to_prompt_warm starts its own stack with a pool.
      WARM_POOL_SIZE: '0',
      ...extraEnv,
    },
  });
  const nodeId = stack.nodeIds[0]!;
  await waitForAgentLink(stack.processes.get(`agent:${nodeId}`)!.logFile);
  const pid = (processName: 'orchestrator' | `agent:${string}`) => {
    const value = stack.processes.get(processName)?.child.pid;
    if (!value) throw new BenchApiError(`${processName} has no process id`);
    return value;
  };

  // Like stack.api, with a timeout of our own so one stuck request costs seconds, not minutes.
  async function expect<T>(method: string, route: string, status: number, timeoutMs = 120_000): Promise<T> {
    const response = await fetch(`${stack.orchestratorUrl}${route}`, {
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? '{}' : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((error: Error) => {
      throw new BenchApiError(`${method} ${route} got no answer: ${error.message}`);
    });
    const text = await response.text();
    if (response.status !== status) throw new BenchApiError(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  const createSession = () => expect<SessionView>('POST', '/api/v1/sessions', 201);
  const createInstance = (sessionId: string, timeoutMs?: number) =>
    expect<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`, 201, timeoutMs);

  return {
    stack,
    nodeId,
    pids: { orchestrator: pid('orchestrator'), agent: pid(`agent:${nodeId}`) },
    createSession,
    createInstance,
    deleteInstance: async (sessionId, instanceId) => void (await expect('DELETE', `/api/v1/sessions/${sessionId}/instances/${instanceId}`, 204)),
    deleteSession: async (sessionId) => void (await expect('DELETE', `/api/v1/sessions/${sessionId}`, 204)),
    async sessionWithInstance() {
      const started = performance.now();
      const session = await createSession();
      const instance = await createInstance(session.id);
      return { session, instance, ms: performance.now() - started };
    },
  };
}
