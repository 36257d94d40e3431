import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { instanceContainerName } from '@playground/contracts';
import { execCollect } from '../instances/exec-collect.ts';
import type { ManagedInstance } from '../instances/instance-provisioner.ts';
import { parseListeningPorts } from './listening-ports.ts';

// Reports the TCP ports listening in each running instance. The agent runs as root on the
// host, so it reads the instance's sockets through /proc/<init pid>/net/tcp (no process in the
// instance). Where the host's /proc is not visible (agent in a container) it execs `cat` in
// the instance instead. A port published by a container inside the instance shows up too:
// the inner engine's proxy listens in the instance's namespace.

export type PortReadMode = 'auto' | 'proc' | 'exec';

export interface PortScannerOptions {
  docker: Docker;
  listInstances: () => Promise<ManagedInstance[]>;
  /** Called when an instance's set of ports changes (and for all after `resendAll`). */
  onPorts: (instanceId: string, ports: number[]) => void;
  /** Ports never reported (the agent's own: a terminal relay waiting for its connection). */
  isHiddenPort?: (port: number) => boolean;
  intervalMs: number;
  logger: Logger;
  mode?: PortReadMode;
}

export class PortScanner {
  private readonly known = new Map<string, number[]>();
  private readonly pids = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private resend = false;

  constructor(private readonly opts: PortScannerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.scanOnce(), this.opts.intervalMs);
    void this.scanOnce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** After the orchestrator (re)connects: report every instance's ports on the next scan. */
  resendAll(): void {
    this.resend = true;
    void this.scanOnce();
  }

  /** One pass over all running instances; overlapping passes are skipped. */
  async scanOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const resend = this.resend;
      this.resend = false;
      const instances = (await this.opts.listInstances()).filter((i) => i.running);
      const seen = new Set<string>();
      await Promise.all(
        instances.map(async (inst) => {
          seen.add(inst.instanceId);
          const read = await this.readPorts(inst).catch((err) => {
            this.opts.logger.debug({ instanceId: inst.instanceId, err: String(err) }, 'ports.read_failed');
            return undefined;
          });
          if (!read) return;
          const hidden = this.opts.isHiddenPort;
          const ports = hidden ? read.filter((port) => !hidden(port)) : read;
          const before = this.known.get(inst.instanceId);
          if (resend || !before || before.join(',') !== ports.join(',')) {
            this.known.set(inst.instanceId, ports);
            this.opts.onPorts(inst.instanceId, ports);
          }
        }),
      );
      for (const id of [...this.known.keys()]) if (!seen.has(id)) this.known.delete(id);
      for (const key of [...this.pids.keys()]) if (!instances.some((i) => i.containerId === key)) this.pids.delete(key);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'ports.scan_failed');
    } finally {
      this.running = false;
    }
  }

  async readPorts(inst: Pick<ManagedInstance, 'instanceId' | 'containerId'>): Promise<number[]> {
    const mode = this.opts.mode ?? 'auto';
    if (mode !== 'exec') {
      try {
        return await this.readFromProc(inst.containerId);
      } catch (err) {
        if (mode === 'proc') throw err;
      }
    }
    const container = this.opts.docker.getContainer(instanceContainerName(inst.instanceId));
    const result = await execCollect(container, ['cat', '/proc/net/tcp', '/proc/net/tcp6'], 5000);
    return parseListeningPorts(result.stdout);
  }

  private async readFromProc(containerId: string): Promise<number[]> {
    let pid = this.pids.get(containerId);
    if (!pid) {
      const info = await this.opts.docker.getContainer(containerId).inspect();
      pid = info.State.Pid;
      if (!pid) throw new Error('container has no process');
      this.pids.set(containerId, pid);
    }
    try {
      // A cached pid could be reused by an unrelated process once the container restarts.
      const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      if (!cgroup.includes(containerId)) throw new Error('pid no longer belongs to the container');
      const [tcp, tcp6] = await Promise.all([
        readFile(`/proc/${pid}/net/tcp`, 'utf8'),
        readFile(`/proc/${pid}/net/tcp6`, 'utf8').catch(() => ''),
      ]);
      return parseListeningPorts(`${tcp}\n${tcp6}`);
    } catch (err) {
      this.pids.delete(containerId); // restarted container: new pid next time
      throw err;
    }
  }
}
