import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { LABEL } from '@playground/contracts';
import { delegateCgroups } from '../../apps/node-agent/src/instances/cgroup-delegation.ts';
import { isolationOptions } from '../../apps/node-agent/src/instances/isolation.ts';
import type { ByteTerminal } from './terminal.ts';

// The floors: the same work the playground does, driven directly with dockerode from this
// process, with no queue, no database, no Socket.IO in between. Containers get the flags the
// node agent gives an instance (apps/node-agent/src/instances/isolation.ts in the default
// SECURITY_MODE=userns, limits as in bench/support/bench-stack.ts), and a node label of
// their own, so the agent's reconcile never takes them for its own leftovers.

/** Limits the bench stack gives every instance, so floor containers run under the same ones. */
/** The mode the bench stack's agent runs in (its default). */
const FLOOR_SECURITY_MODE = 'userns';
export const INSTANCE_LIMITS = { cpus: 1, memoryMb: 1024, pids: 1000 } as const;
/** The label that marks what one benchmark run made directly (removed by cleanup()). */
export const BENCH_LABEL = 'playground.bench';

export interface FloorRun {
  name: string;
  container: Docker.Container;
  /** ms for network + volume + create, start, and the inner engine's first answer. */
  createMs: number;
  startMs: number;
  engineMs: number;
  totalMs: number;
}

export class FloorError extends Error {
  readonly code = 'floor_failed';
}

export class DockerFloor {
  readonly runId = randomBytes(3).toString('hex');
  private counter = 0;

  constructor(
    readonly docker: Docker,
    private readonly image: string,
    private readonly nodeLabel: string,
  ) {}

  private labels(): Record<string, string> {
    return { [LABEL.managed]: 'true', [LABEL.node]: this.nodeLabel, [BENCH_LABEL]: this.runId };
  }

  /**
   * `docker run` of an instance (a /var/lib/docker volume, a bridge network of its own or
   * the run's shared one), then its inner engine answering `docker version`.
   */
  async runInstance(options: { readyTimeoutMs?: number; sharedNetwork?: boolean } = {}): Promise<FloorRun> {
    const { readyTimeoutMs = 60_000, sharedNetwork = false } = options;
    const name = `playground-bench-${this.runId}-${++this.counter}`;
    const started = performance.now();
    const network = sharedNetwork ? await this.sharedNetwork() : name;
    if (!sharedNetwork) await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: this.labels() });
    await this.docker.createVolume({ Name: `${name}-docker`, Labels: this.labels() });
    const container = await this.docker.createContainer({
      name,
      Image: this.image,
      Hostname: `floor${this.counter}`,
      Env: ['MIRROR_PORT=5000', 'TINI_SUBREAPER=1'],
      Labels: this.labels(),
      HostConfig: {
        NetworkMode: network,
        Init: true,
        NanoCpus: INSTANCE_LIMITS.cpus * 1e9,
        Memory: INSTANCE_LIMITS.memoryMb * 1024 * 1024,
        MemorySwap: INSTANCE_LIMITS.memoryMb * 1024 * 1024,
        PidsLimit: INSTANCE_LIMITS.pids,
        Mounts: [{ Type: 'volume', Source: `${name}-docker`, Target: '/var/lib/docker' }],
        ...isolationOptions(FLOOR_SECURITY_MODE),
      },
    });
    const created = performance.now();
    await container.start();
    if (FLOOR_SECURITY_MODE === 'userns') await delegateCgroups((await container.inspect()).State.Pid);
    const startedAt = performance.now();
    await this.waitForEngine(container, readyTimeoutMs);
    const ready = performance.now();
    return { name, container, createMs: created - started, startMs: startedAt - created, engineMs: ready - startedAt, totalMs: ready - started };
  }

  private shared: Promise<string> | undefined;

  /**
   * One network for many floor containers: Docker's default address pools allow only ~30
   * bridge networks per engine, too few for one per container in the load tests.
   */
  private sharedNetwork(): Promise<string> {
    const name = `playground-bench-${this.runId}-shared`;
    this.shared ??= this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: this.labels() }).then(() => name);
    return this.shared;
  }

  /** Polls `docker exec <c> docker version` until it succeeds (every 100 ms, bounded). */
  async waitForEngine(container: Docker.Container, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (await execSucceeds(container, ['docker', 'version', '--format', '{{.Server.Version}}'], 5_000)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new FloorError(`the inner engine of ${container.id.slice(0, 12)} did not answer within ${timeoutMs} ms`);
  }

  async remove(run: FloorRun): Promise<void> {
    await run.container.remove({ force: true, v: true }).catch(() => undefined);
    await this.docker.getVolume(`${run.name}-docker`).remove().catch(() => undefined);
    await this.docker.getNetwork(run.name).remove().catch(() => undefined);
  }

  /** Removes everything this run made directly (containers, volumes, networks). */
  async cleanup(): Promise<void> {
    const filters = { label: [`${BENCH_LABEL}=${this.runId}`] };
    const containers = await this.docker.listContainers({ all: true, filters });
    await Promise.all(containers.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    const volumes = (await this.docker.listVolumes({ filters })).Volumes ?? [];
    await Promise.all(volumes.map((v) => this.docker.getVolume(v.Name).remove().catch(() => undefined)));
    const networks = await this.docker.listNetworks({ filters });
    await Promise.all(networks.map((n) => this.docker.getNetwork(n.Id).remove().catch(() => undefined)));
    this.shared = undefined;
  }

  /** Names of what this run made that still exists. */
  async leftovers(): Promise<string[]> {
    const filters = { label: [`${BENCH_LABEL}=${this.runId}`] };
    const containers = await this.docker.listContainers({ all: true, filters });
    const volumes = (await this.docker.listVolumes({ filters })).Volumes ?? [];
    const networks = await this.docker.listNetworks({ filters });
    return [...containers.map((c) => `container ${c.Names[0]}`), ...volumes.map((v) => `volume ${v.Name}`), ...networks.map((n) => `network ${n.Name}`)];
  }
}

async function execSucceeds(container: Docker.Container, cmd: string[], timeoutMs: number): Promise<boolean> {
  try {
    const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => stream.destroy(), timeoutMs);
      stream.resume();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
    return (await exec.inspect()).ExitCode === 0;
  } catch {
    return false;
  }
}

export interface DirectPty extends ByteTerminal {
  /** ms from the exec create call to the first output byte. */
  firstByteMs: Promise<number>;
}

/**
 * A login shell opened the way the node agent opens one (docker exec, TTY, bash -l), read
 * directly by this process.
 */
export async function openDirectPty(docker: Docker, containerName: string): Promise<DirectPty> {
  const started = performance.now();
  const exec = await docker.getContainer(containerName).exec({
    Cmd: ['bash', '-l'],
    Tty: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Env: ['TERM=xterm-256color', 'LANG=C.UTF-8'],
    WorkingDir: '/root',
    User: 'root',
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  const listeners = new Set<(chunk: Buffer) => void>();
  const firstByteMs = new Promise<number>((resolve) => stream.once('data', () => resolve(performance.now() - started)));
  stream.on('data', (chunk: Buffer) => {
    for (const listener of listeners) listener(chunk);
  });
  stream.on('error', () => undefined);
  await exec.resize({ h: 40, w: 120 }).catch(() => undefined);
  return {
    firstByteMs,
    write: (data) => void stream.write(data),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => stream.destroy(),
  };
}

/** Memory charged to a container's cgroup, minus inactive page cache (what `docker stats` shows). */
export async function containerMemoryMiB(docker: Docker, containerId: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const v1 = `/sys/fs/cgroup/memory/docker/${containerId}`;
  try {
    const usage = Number((await readFile(`${v1}/memory.usage_in_bytes`, 'utf8')).trim());
    const stat = await readFile(`${v1}/memory.stat`, 'utf8');
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    return (usage - inactive) / 1024 / 1024;
  } catch {
    // Other cgroup layouts (v2, systemd driver): ask the engine.
    const stats = (await docker.getContainer(containerId).stats({ stream: false })) as unknown as {
      memory_stats: { usage: number; stats?: Record<string, number> };
    };
    const inactive = stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.inactive_file ?? 0;
    return (stats.memory_stats.usage - inactive) / 1024 / 1024;
  }
}
