import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './db.ts';
import type { NodeQueues } from './node-queues.ts';

// What the orchestrator is doing, in Prometheus' text format at GET /metrics (admin token).
// Counts of records are read from Postgres when scraped, so every replica reports the same
// truth; what happens in this process (create latency, terminals open here, errors answered)
// is counted as it happens. One registry per orchestrator, so tests can run several.

export class Metrics {
  readonly registry = new Registry();
  /** From the instance's row being written to the create job's outcome: the learner's wait. */
  readonly instanceCreate: Histogram<'outcome'>;
  /** Errors this process answered, by our error code. */
  readonly errors: Counter<'code'>;
  /** Learners who took a seat, by whether it was prepared (a prompt at once) or made on the spot. */
  readonly workshopJoins: Counter<'seat'>;

  constructor(db: Db, queues: NodeQueues, terminals: { viewerCount(): number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'playground_orchestrator_' });
    this.instanceCreate = new Histogram({
      name: 'playground_instance_create_seconds',
      help: 'Time from an instance being recorded to its create job ending.',
      labelNames: ['outcome'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120],
      registers,
    });
    this.errors = new Counter({ name: 'playground_http_errors_total', help: 'API errors answered, by code.', labelNames: ['code'], registers });
    this.workshopJoins = new Counter({
      name: 'playground_workshop_joins_total',
      help: 'Learners who joined a workshop, by seat: prepared or made on the spot.',
      labelNames: ['seat'],
      registers,
    });
    new Gauge({
      name: 'playground_workshop_seats',
      help: 'Seats of workshops not ended, by state (preparing, ready, taken, failed).',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        const rows = await db.workshopSeat.groupBy({ by: ['state'], where: { workshop: { endedAt: null } }, _count: { _all: true } });
        for (const row of rows) this.set({ state: row.state }, row._count._all);
      },
    });

    new Gauge({
      name: 'playground_sessions',
      help: 'Sessions by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const rows = await db.session.groupBy({ by: ['status'], _count: { _all: true } });
        for (const row of rows) this.set({ status: row.status }, row._count._all);
      },
    });
    new Gauge({
      name: 'playground_instances',
      help: 'Instances not yet deleted, by node and status.',
      labelNames: ['node', 'status'],
      registers,
      async collect() {
        this.reset();
        const rows = await db.instance.groupBy({ by: ['nodeId', 'status'], where: { status: { not: 'deleted' } }, _count: { _all: true } });
        for (const row of rows) this.set({ node: row.nodeId, status: row.status }, row._count._all);
      },
    });
    const nodes = () => db.node.findMany({ select: { id: true, status: true, drained: true, capacityInstances: true, lastSeenAt: true } });
    new Gauge({
      name: 'playground_node_capacity_instances',
      help: 'Instances each node says it may run.',
      labelNames: ['node'],
      registers,
      async collect() {
        this.reset();
        for (const node of await nodes()) this.set({ node: node.id }, node.capacityInstances);
      },
    });
    new Gauge({
      name: 'playground_node_up',
      help: '1 while the node answers (0 when down); drained nodes are labelled so.',
      labelNames: ['node', 'drained'],
      registers,
      async collect() {
        this.reset();
        for (const node of await nodes()) this.set({ node: node.id, drained: String(node.drained) }, node.status === 'down' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'playground_node_heartbeat_age_seconds',
      help: 'Seconds since each node was last heard from.',
      labelNames: ['node'],
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const node of await nodes()) if (node.lastSeenAt) this.set({ node: node.id }, (now - node.lastSeenAt.getTime()) / 1000);
      },
    });
    new Gauge({
      name: 'playground_queue_jobs',
      help: 'Jobs in each node queue, by state.',
      labelNames: ['node', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const node of await nodes()) {
          const counts = await queues.queue(node.id).getJobCounts('waiting', 'active', 'delayed', 'failed');
          for (const [state, count] of Object.entries(counts)) this.set({ node: node.id, state }, count);
        }
      },
    });
    new Gauge({
      name: 'playground_terminal_viewers',
      help: 'Terminals open through this orchestrator process.',
      registers,
      collect() {
        this.set(terminals.viewerCount());
      },
    });
  }
}
