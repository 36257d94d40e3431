import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { instanceContainerName } from '@playground/contracts';
import type { BenchStack } from './bench-stack.ts';
import type { DockerFloor } from './docker-floor.ts';

// What every metric gets from bench/run.ts: the stack under test, the direct-Docker floor,
// the size of the run, and one instance that stays up for the terminal metrics.

export interface Sizes {
  coldIterations: number;
  warmIterations: number;
  keystrokes: number;
  /** Random bytes fed to base64 (output is 4/3 of it plus line ends). */
  outputInputBytes: number;
  slowReaderSeconds: number;
  sessions: number;
  sessionConcurrency: number;
  idleFloorInstances: number;
  idleSettleSeconds: number;
  idleConnections: number;
  otherTerminals: number;
  streamingTerminals: number;
  /** Learners of workshop_join_burst (joining at one instant). */
  workshopLearners: number;
}

export const QUICK: Sizes = {
  coldIterations: 2,
  warmIterations: 2,
  keystrokes: 200,
  outputInputBytes: 15 * 1024 * 1024,
  slowReaderSeconds: 8,
  sessions: 20,
  sessionConcurrency: 20,
  idleFloorInstances: 2,
  idleSettleSeconds: 5,
  idleConnections: 100,
  otherTerminals: 100,
  streamingTerminals: 10,
  workshopLearners: 10,
};

export const FULL: Sizes = {
  coldIterations: 9,
  warmIterations: 15,
  keystrokes: 1000,
  outputInputBytes: 150 * 1024 * 1024,
  slowReaderSeconds: 20,
  // Not 40: each session gets a bridge network, and Docker's default address pools hold ~30.
  sessions: 24,
  sessionConcurrency: 20,
  idleFloorInstances: 3,
  idleSettleSeconds: 15,
  idleConnections: 100,
  otherTerminals: 200,
  streamingTerminals: 20,
  workshopLearners: 30,
};

export interface MainInstance {
  sessionId: string;
  instanceId: string;
  containerName: string;
}

/** Sessions (one instance each) made by session_create_rate and reused by later metrics. */
export interface FleetMember extends MainInstance {
  readyAt: number;
}

export interface BenchContext {
  quick: boolean;
  sizes: Sizes;
  bench: BenchStack;
  floor: DockerFloor;
  docker: Docker;
  main: MainInstance;
  fleet: FleetMember[];
  log(message: string): void;
}

export function mainInstance(sessionId: string, instanceId: string): MainInstance {
  return { sessionId, instanceId, containerName: instanceContainerName(instanceId) };
}

/** Waits (bounded) until Docker no longer has the container, so a removal in the background does not load the next measurement. */
export async function waitContainerGone(docker: Docker, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      await docker.getContainer(name).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${name} was still there after ${timeoutMs} ms`);
}

/** Runs `task` for each item with at most `limit` at once. */
export async function withConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}
