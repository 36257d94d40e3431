import { performance } from 'node:perf_hooks';
import type { InstanceView, SessionView } from '@playground/contracts';
import { startTestStack, type TestStack } from '../../test/support/test-stack.ts';
import { AgentState } from './agent-state.ts';
import { INSTANCE_LIMITS } from './docker-floor.ts';

// The stack under test: the same private stack the cross-app tests start (own database,
// own Redis logical database, own node id, free ports), with limits raised so the load the
// benchmark makes is not refused, and with production log level.

export interface BenchStack {
  stack: TestStack;
  nodeId: string;
  /** The node agent's heartbeat and create jobs, as it publishes them. */
  agent: AgentState;
  /** Process ids of the orchestrator and the node agent (for RSS sampling). */
  pids: { orchestrator: number; agent: number };
  createSession(): Promise<SessionView>;
  createInstance(sessionId: string, timeoutMs?: number): Promise<InstanceView>;
  deleteInstance(sessionId: string, instanceId: string): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
  /** A session with one running instance; `ms` covers both API calls. */
  sessionWithInstance(): Promise<{ session: SessionView; instance: InstanceView; ms: number }>;
  /** Closes the benchmark's own connections, then tears the stack down. */
  teardown(): Promise<void>;
}

export class BenchApiError extends Error {
  readonly code = 'bench_api_failed';
}

/** Healthy enough for heartbeats, the agent is not yet linked before its first reconcile. */
const LINK_TIMEOUT_MS = 60_000;

export async function startBenchStack(name: string, extraEnv: Record<string, string> = {}, orchestrators = 1): Promise<BenchStack> {
  const stack = await startTestStack(name, {
    // More than one replica puts the web edge in front (the agent dials it).
    orchestrators,
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
  const agent = new AgentState(stack.redisUrl, nodeId);
  // Healthy (a heartbeat in Redis) is not yet linked: until the agent's socket to the
  // orchestrator is up and its first reconcile has run, a new instance can be reported gone
  // by that reconcile. The heartbeat says when the reconcile finished.
  await agent
    .waitForAnnouncement('a finished reconcile (reconciledAt)', (a) => a.reconciledAt !== undefined, LINK_TIMEOUT_MS)
    .catch(async (error: Error) => {
      await agent.close();
      await stack.teardown();
      throw new BenchApiError(`the node agent did not link to the orchestrator: ${error.message}`);
    });
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
    agent,
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
    async teardown() {
      try {
        await agent.close();
      } finally {
        await stack.teardown();
      }
    },
  };
}
