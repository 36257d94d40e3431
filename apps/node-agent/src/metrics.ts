import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretEqual } from '@playground/contracts/secret-equal';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { LatestUsage } from './instances/usage-sampler.ts';

// What this node agent is doing, in Prometheus' text format on its own small HTTP server
// (METRICS_PORT, bound to METRICS_HOST, by default loopback only; METRICS_TOKEN asks for a
// bearer token). Counts of things that exist (instances, warm members, shells, viewers) are
// read when scraped; what happens (jobs, terminal bytes) is counted as it happens.

export interface AgentGauges {
  runningInstances(): Promise<number>;
  /** Each running instance's figures from the usage sampler's last pass. */
  instanceUsage(): readonly LatestUsage[];
  warmReady(): number;
  terminals(): { shells: number; viewers: number };
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly jobs: Histogram<'name' | 'outcome'>;
  readonly terminalBytes: Counter;
  readonly terminalsIdleClosed: Counter;

  constructor(nodeId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry, prefix: 'playground_agent_' });
    this.jobs = new Histogram({
      name: 'playground_agent_job_seconds',
      help: 'Lifecycle jobs processed by this node, by job name and outcome.',
      labelNames: ['name', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60],
      registers,
    });
    this.terminalBytes = new Counter({ name: 'playground_agent_terminal_output_bytes_total', help: 'Terminal output bytes sent to viewers.', registers });
    this.terminalsIdleClosed = new Counter({ name: 'playground_agent_terminals_idle_closed_total', help: 'Extra shells (terminal tabs) ended after TERMINAL_SHELL_IDLE_MINUTES with no viewer.', registers });
  }

  /** The counts read at each scrape, from the parts that own them (made after the counters they feed). */
  observe(gauges: AgentGauges): void {
    const registers = [this.registry];
    new Gauge({
      name: 'playground_agent_instances_running',
      help: 'Instances running on this node (warm pool members not counted).',
      registers,
      async collect() {
        this.set(await gauges.runningInstances());
      },
    });
    new Gauge({
      name: 'playground_agent_warm_pool_ready',
      help: 'Warm pool members ready to be claimed.',
      registers,
      collect() {
        this.set(gauges.warmReady());
      },
    });
    new Gauge({
      name: 'playground_agent_terminals',
      help: 'Open shells and the viewers attached to them.',
      labelNames: ['kind'],
      registers,
      collect() {
        const { shells, viewers } = gauges.terminals();
        this.set({ kind: 'shells' }, shells);
        this.set({ kind: 'viewers' }, viewers);
      },
    });
    this.observeUsage(gauges);
  }

  /**
   * Per-instance use, labelled by container (short id), never by instance or session id: those
   * are capabilities (SSH user name, the session's page), and metrics travel to wider places.
   */
  private observeUsage(gauges: AgentGauges): void {
    const registers = [this.registry];
    const perInstance = (name: string, help: string, labelNames: string[], set: (gauge: Gauge, usage: LatestUsage) => void) =>
      new Gauge({
        name,
        help,
        labelNames: ['container', ...labelNames],
        registers,
        collect() {
          this.reset();
          for (const usage of gauges.instanceUsage()) set(this, usage);
        },
      });
    perInstance('playground_agent_instance_cpu_cores', 'CPU an instance used over the last sample, in cores.', [], (g, u) => g.set({ container: u.container }, u.cpu.used));
    perInstance('playground_agent_instance_cpu_limit_cores', "An instance's CPU quota, in cores.", [], (g, u) => g.set({ container: u.container }, u.cpu.limit));
    perInstance('playground_agent_instance_memory_bytes', 'Memory an instance holds (inactive file cache left out).', [], (g, u) => g.set({ container: u.container }, u.memory.used));
    perInstance('playground_agent_instance_memory_limit_bytes', "An instance's memory limit.", [], (g, u) => {
      if (u.memory.limit !== null) g.set({ container: u.container }, u.memory.limit);
    });
    const disks = (u: LatestUsage) => [['root', u.disk], ['docker', u.dockerData]] as const;
    perInstance('playground_agent_instance_disk_bytes', 'Bytes an instance references in its root file system (fs="root", image included) or its /var/lib/docker (fs="docker").', ['fs'], (g, u) => {
      for (const [fs, figures] of disks(u)) if (figures) g.set({ container: u.container, fs }, figures.used);
    });
    perInstance('playground_agent_instance_disk_limit_bytes', "An instance's disk limit, per file system.", ['fs'], (g, u) => {
      for (const [fs, figures] of disks(u)) if (figures?.limit) g.set({ container: u.container, fs }, figures.limit);
    });
  }

  /** Serves GET /metrics; resolves with the bound address. */
  async serve(options: { host: string; port: number; token?: string; logger: Logger }): Promise<{ server: Server; address: AddressInfo }> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      const header = req.headers.authorization ?? '';
      if (options.token && !secretEqual(header.startsWith('Bearer ') ? header.slice(7) : '', options.token)) {
        return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: 'This needs the metrics token.' } }));
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => {
          options.logger.warn({ err: String(error) }, 'metrics.failed');
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    return { server, address: server.address() as AddressInfo };
  }
}
