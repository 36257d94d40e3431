import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { nodeQueueName } from '@playground/contracts';
import type { Logger } from './logger.ts';

// One BullMQ queue per node (the node's agent is its only worker). Queues and their event
// streams are opened on first use and kept; every job id is derived from its entity, so
// adding a job that already exists is a no-op (idempotent re-sends).

export type JobState = Awaited<ReturnType<Job['getState']>>;

export class JobWaitTimeout extends Error {
  readonly code = 'job_wait_timeout';
}
export class JobFailed extends Error {
  readonly code = 'job_failed';
}

/** Completed and failed jobs are kept for a day so the reaper can see how a command ended. */
const KEEP = { age: 24 * 3600, count: 10_000 };

export class NodeQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, Promise<QueueEvents>>();

  constructor(
    private readonly redis: Redis,
    private readonly redisUrl: string,
    private readonly logger: Logger,
    /** BullMQ key prefix; tests use a unique one, agents and orchestrator must agree. */
    private readonly prefix = 'bull',
  ) {}

  queue(nodeId: string): Queue {
    let queue = this.queues.get(nodeId);
    if (!queue) {
      queue = new Queue(nodeQueueName(nodeId), { connection: this.redis, prefix: this.prefix });
      queue.on('error', (error) => this.logger.warn({ err: error.message, nodeId }, 'queue.error'));
      this.queues.set(nodeId, queue);
    }
    return queue;
  }

  private queueEvents(nodeId: string): Promise<QueueEvents> {
    let events = this.events.get(nodeId);
    if (!events) {
      // QueueEvents blocks on XREAD, so it needs its own connection.
      // Given options rather than a client, BullMQ owns that connection and closes it with the events.
      const made = new QueueEvents(nodeQueueName(nodeId), {
        connection: { url: this.redisUrl, maxRetriesPerRequest: null },
        prefix: this.prefix,
      });
      made.on('error', (error) => this.logger.warn({ err: error.message, nodeId }, 'queue_events.error'));
      events = made.waitUntilReady().then(() => made);
      events.catch(() => this.events.delete(nodeId));
      this.events.set(nodeId, events);
    }
    return events;
  }

  async add(nodeId: string, name: string, data: unknown, jobId: string, options: JobsOptions = {}): Promise<Job> {
    return this.queue(nodeId).add(name, data, { jobId, removeOnComplete: KEEP, removeOnFail: KEEP, ...options });
  }

  /**
   * Adds a job and waits for its result. The completion listener is registered before the
   * job is added, so a fast worker cannot finish it unseen.
   */
  async addAndWait<T>(
    nodeId: string,
    name: string,
    data: unknown,
    jobId: string,
    options: JobsOptions,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let events: QueueEvents | undefined;
      let settled = false;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        events?.off('completed', onCompleted);
        events?.off('failed', onFailed);
        action();
      };
      const onCompleted = ({ jobId: id, returnvalue }: { jobId: string; returnvalue: unknown }) => {
        if (id !== jobId) return;
        // Depending on the BullMQ version the event carries the value or its JSON text.
        const value = typeof returnvalue === 'string' ? safeParse(returnvalue) : returnvalue;
        finish(() => resolve(value as T));
      };
      const onFailed = ({ jobId: id, failedReason }: { jobId: string; failedReason: string }) => {
        if (id !== jobId) return;
        // A failure with attempts left is a retry, not the end: only give up when the job is failed for good.
        void this.queue(nodeId)
          .getJob(jobId)
          .then(async (job) => {
            const state = job ? await job.getState() : 'unknown';
            if (state === 'failed') finish(() => reject(new JobFailed(failedReason)));
          })
          .catch(() => undefined);
      };
      const timer = setTimeout(
        () => finish(() => reject(new JobWaitTimeout(`job ${jobId} did not finish within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.queueEvents(nodeId)
        .then((ready) => {
          if (settled) return undefined;
          events = ready;
          ready.on('completed', onCompleted);
          ready.on('failed', onFailed);
          return this.add(nodeId, name, data, jobId, options);
        })
        .then(async (job) => {
          if (!job) return;
          // The job may already have existed (a re-send) and be finished: settle from its state.
          const state = await job.getState();
          if (state === 'completed') finish(() => resolve(job.returnvalue as T));
          else if (state === 'failed') finish(() => reject(new JobFailed(job.failedReason)));
        })
        .catch((error: unknown) => finish(() => reject(error)));
    });
  }

  async jobState(nodeId: string, jobId: string): Promise<{ state: JobState | 'missing'; job?: Job }> {
    const job = await this.queue(nodeId).getJob(jobId);
    if (!job) return { state: 'missing' };
    return { state: await job.getState(), job };
  }

  async close(): Promise<void> {
    const events = [...this.events.values()];
    this.events.clear();
    await Promise.allSettled(events.map(async (pending) => (await pending).close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
