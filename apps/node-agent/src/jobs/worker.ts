import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  CloseSessionJob,
  CreateInstanceJob,
  DeleteInstanceJob,
  JOB,
  nodeQueueName,
  type CreateInstanceResult,
} from '@playground/contracts';
import { AgentError } from '../errors.ts';
import type { BusyWork, InstanceProvisioner } from '../instances/instance-provisioner.ts';

// Lifecycle commands for this node, from its BullMQ queue. Idempotency comes from the job ids
// the orchestrator derives from the entity and from the provisioner's idempotent operations.
// Errors that a retry cannot fix (bad payload, missing image) end the job at once.

export interface LifecycleWorkerOptions {
  nodeId: string;
  provisioner: InstanceProvisioner;
  connection: Redis;
  concurrency: number;
  logger: Logger;
  /** Defaults to nodeQueueName(nodeId); tests use unique names. */
  queueName?: string;
}

function parse<T extends z.ZodType>(schema: T, job: Job): z.infer<T> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad ${job.name} job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export class LifecycleWorker {
  readonly worker: Worker;
  private readonly busyInstances = new Map<string, number>();
  private readonly busySessions = new Map<string, number>();

  constructor(private readonly opts: LifecycleWorkerOptions) {
    const queueName = opts.queueName ?? nodeQueueName(opts.nodeId);
    this.worker = new Worker(queueName, (job) => this.process(job), {
      connection: opts.connection,
      concurrency: opts.concurrency,
      autorun: false,
    });
    this.worker.on('failed', (job, err) =>
      opts.logger.warn({ jobId: job?.id, name: job?.name, attempts: job?.attemptsMade, err: err.message }, 'job.failed'),
    );
    this.worker.on('error', (err) => opts.logger.error({ err: err.message }, 'worker.error'));
  }

  start(): void {
    void this.worker.run();
  }

  /** Waits for running jobs to finish, then stops taking new ones. */
  async close(): Promise<void> {
    await this.worker.close();
  }

  /** Instances and sessions a job is working on right now (reconcile must not touch them). */
  busy(): BusyWork {
    return { instanceIds: new Set(this.busyInstances.keys()), sessionIds: new Set(this.busySessions.keys()) };
  }

  private async track<T>(sessionId: string, instanceId: string | undefined, fn: () => Promise<T>): Promise<T> {
    const inc = (m: Map<string, number>, k: string, d: number) => {
      const n = (m.get(k) ?? 0) + d;
      if (n > 0) m.set(k, n);
      else m.delete(k);
    };
    inc(this.busySessions, sessionId, 1);
    if (instanceId) inc(this.busyInstances, instanceId, 1);
    try {
      return await fn();
    } finally {
      inc(this.busySessions, sessionId, -1);
      if (instanceId) inc(this.busyInstances, instanceId, -1);
    }
  }

  private async process(job: Job): Promise<CreateInstanceResult | void> {
    // The request that sent the job (request-id.ts) follows it into this node's log.
    const requestId = typeof job.data?.requestId === 'string' ? job.data.requestId : undefined;
    const log = this.opts.logger.child({ jobId: job.id, name: job.name, ...(requestId ? { requestId } : {}) });
    const started = performance.now();
    try {
      const result = await this.run(job);
      log.info({ ms: Math.round(performance.now() - started) }, 'job.completed');
      return result;
    } catch (err) {
      if (err instanceof AgentError && err.permanent) throw new UnrecoverableError(err.message);
      if (!(err instanceof UnrecoverableError)) log.debug({ err: String(err) }, 'job.error');
      throw err;
    }
  }

  private async run(job: Job): Promise<CreateInstanceResult | void> {
    switch (job.name) {
      case JOB.createInstance: {
        const data = parse(CreateInstanceJob, job);
        return await this.track(data.sessionId, data.instanceId, () => this.opts.provisioner.createInstance(data));
      }
      case JOB.deleteInstance: {
        const data = parse(DeleteInstanceJob, job);
        return await this.track(data.sessionId, data.instanceId, () => this.opts.provisioner.deleteInstance(data));
      }
      case JOB.closeSession: {
        const data = parse(CloseSessionJob, job);
        return await this.track(data.sessionId, undefined, () => this.opts.provisioner.closeSession(data.sessionId));
      }
      default:
        throw new UnrecoverableError(`unknown job ${job.name}`);
    }
  }
}
