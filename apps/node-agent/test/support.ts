import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { InstanceLimits } from '@playground/contracts';
import { DockerInstanceProvisioner, type DockerInstanceProvisionerOptions } from '../src/instances/docker-instance-provisioner.ts';
import { InstanceResources, type InstanceResourcesOptions } from '../src/instances/instance-resources.ts';
import { WarmPool } from '../src/instances/warm-pool.ts';
import { PortDialer } from '../src/ports/port-dialer.ts';
import { RelayPorts } from '../src/terminals/relay-shell.ts';
import { dockerShellFactory, type ShellFactory } from '../src/terminals/shell.ts';

// Shared by this app's tests (and scripts/measure.ts), never by its production code under src/:
// real services or a clear failure, never a silent skip.

export const TEST_IMAGE = process.env.PLAYGROUND_TEST_IMAGE ?? 'playground/instance:latest';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Limits of an instance a test creates only to have one (not to check limits). */
export const TEST_LIMITS: InstanceLimits = { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 1000 };

export interface TestProvisionerOptions extends Partial<InstanceResourcesOptions>, Pick<DockerInstanceProvisionerOptions, 'onRemoving' | 'onReady'> {
  /** A warm pool for the provisioner to claim from (not started). */
  warmPool?: { size: number; capacity: number; checkIntervalMs: number };
}

/**
 * A provisioner wired as main.ts wires it: the test image, the userns mode, the shared engine
 * programs, a 60 s readiness timeout; `overrides` replaces or adds options (hooks, warm pool, another image).
 */
export function testProvisioner(docker: Docker, nodeId: string, overrides: TestProvisionerOptions = {}): DockerInstanceProvisioner {
  const { warmPool, onRemoving, onReady, ...resourceOverrides } = overrides;
  const resources = new InstanceResources({
    docker,
    nodeId,
    image: TEST_IMAGE,
    securityMode: 'userns',
    mirrorPort: 5000,
    readyTimeoutMs: 60000,
    sharedEngine: true,
    logger: testLogger,
    ...resourceOverrides,
  });
  const pool = warmPool && warmPool.size > 0 ? new WarmPool({ resources, ...warmPool, logger: testLogger }) : undefined;
  return new DockerInstanceProvisioner({ resources, pool, logger: testLogger, onRemoving, onReady });
}

/**
 * Shells as main.ts opens them: through the instance's terminal relay, reached at the address
 * the port dialer finds (`provisioner` is read at each shell, so it may be made later).
 */
export function testShellFactory(docker: Docker, provisioner: () => DockerInstanceProvisioner, opts: { maxPendingInputBytes?: number } = {}): ShellFactory {
  const dialer = new PortDialer(docker, () => provisioner().listInstances(), testLogger);
  return dockerShellFactory(docker, { addressOf: (instanceId) => dialer.addressOf(instanceId), relayPorts: new RelayPorts(), logger: testLogger, ...opts });
}

/** A node id of its own per test file, so labels and queues never collide with a real agent. */
export function uniqueNodeId(): string {
  return `test-${randomBytes(4).toString('hex')}`;
}

/** The engine under test: DOCKER_HOST when it names a unix socket, else the node's main one. */
export const TEST_DOCKER_SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';

export async function requireDocker(): Promise<Docker> {
  const docker = new Docker({ socketPath: TEST_DOCKER_SOCKET });
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`these tests need a Docker engine at ${TEST_DOCKER_SOCKET} (run infra/setup.sh): ${String(err)}`);
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch {
    throw new Error(`these tests need the instance image ${TEST_IMAGE} (run infra/setup.sh)`);
  }
  return docker;
}

export async function requireRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`these tests need Redis at ${REDIS_URL}: ${String(err)}`);
  }
  return redis;
}

/** Removes everything labelled with this test node id (containers, volumes, networks). */
export async function removeNodeResources(docker: Docker, nodeId: string): Promise<void> {
  const filters = { label: [`playground.node=${nodeId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}
