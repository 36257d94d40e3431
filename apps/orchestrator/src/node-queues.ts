import { currentRequest } from './request-context.ts';
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { nodeQueueName } from '@playground/contracts';
import type { Logger } from './logger.ts';
import { queueUnavailable, ServiceTimeout, timeBox } from './service-errors.ts';

// One BullMQ queue per node (the node's agent is its only worker). Queues and their event
// streams are opened on first use and kept; every job id is derived from its entity, so
// adding a job that already exists is a no-op (idempotent re-sends).
//
// Waiting for a job's outcome reads the job's own state (one source of truth, which the reaper
// reads too), at once when the node's QueueEvents stream says the job ended (fast) and every
// JOB_POLL_INTERVAL_MS whatever the stream says (sure). Events alone are not enough:
// BullMQ's QueueEvents starts reading at '$' ("only what arrives after my first XREAD"), so
// whatever happens between its connection being ready and its first XREAD, during a
// reconnect before it saw an event, or in a read its watchdog abandons under event-loop lag,
// is lost for good; and a QueueEvents whose start-up failed stays silent forever. We start
// each stream at its current tail (a concrete id: re-reads after a reconnect miss nothing),
// replace a QueueEvents whose loop died, and poll, so a completed job is seen within one
// poll interval whatever happens to the events.
//
// Redis down: every call fails fast with 503 `unavailable` (the shared connection has no
// offline queue, and each call is time-boxed), so no request hangs and no command is sent
// late. Queues, QueueEvents and the connections reconnect by themselves when Redis is back.

export type JobState = Awaited<ReturnType<Job['getState']>>;

export class JobWaitTimeout extends Error {
  readonly code = 'job_wait_timeout';
}

/** A job that has ended, as its own record in Redis says. */
export type EndedJob = { state: 'completed'; returnvalue: unknown } | { state: 'failed'; failedReason: string };
/** A job that has ended, has not yet (waiting, active, retrying) or is not in the queue at all. */
export type JobOutcome = EndedJob | { state: 'pending' } | { state: 'missing' };

/** Completed and failed jobs are kept for a day so the reaper can see how a command ended. */
const KEEP = { age: 24 * 3600, count: 10_000 };
/** Time box of one queue command (add, getJob, getState). */
export const REDIS_CALL_TIMEOUT_MS = 5_000;
/** How often a waiting request reads its job's state, whatever the event stream says. */
export const JOB_POLL_INTERVAL_MS = 500;

interface Waiter {
  fail(error: Error): void;
}

export class NodeQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private closing = false;
  /** Requests waiting for a job's outcome, per node, so a node that went down can fail them at once. */
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    private readonly redis: Redis,
    private readonly redisUrl: string,
    private readonly logger: Logger,
    /** BullMQ key prefix; tests use a unique one, agents and orchestrator must agree. */
    private readonly prefix = 'bull',
    /** How often a waiting request polls its job's state (tests lengthen it to pin the event path alone). */
    private readonly pollIntervalMs = JOB_POLL_INTERVAL_MS,
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
      const opening = this.openEvents(nodeId, () => {
        if (this.events.get(nodeId) === opening) this.events.delete(nodeId);
      });
      events = opening;
      this.events.set(nodeId, opening);
      opening.catch(() => {
        if (this.events.get(nodeId) === opening) this.events.delete(nodeId);
      });
    }
    return events;
  }

  /**
   * A node's QueueEvents, reading from the stream's current tail and connected before it is
   * handed out. `forget` drops it from the cache when its read loop dies, so the next wait
   * opens a new one instead of listening to a dead one.
   */
  private async openEvents(nodeId: string, forget: () => void): Promise<QueueEvents> {
    const queue = await this.readyQueue(nodeId);
    // A concrete id instead of BullMQ's '$': nothing written after this point is skipped,
    // however late the first XREAD goes out or however often the connection drops.
    const [last] = await timeBox('redis', REDIS_CALL_TIMEOUT_MS, this.redis.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1));
    const lastEventId = last?.[0] ?? '0-0';
    const made = new QueueEvents(nodeQueueName(nodeId), {
      autorun: false,
      lastEventId,
      // QueueEvents blocks on XREAD, so it needs its own connection. Given options rather
      // than a client, BullMQ owns that connection and closes it with the events.
      // Reconnect quickly after a Redis restart (BullMQ's default backs off to 20 s).
      connection: { url: this.redisUrl, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 100, 1_000) },
      prefix: this.prefix,
    });
    made.on('error', (error) => this.logger.warn({ err: error.message, nodeId }, 'queue_events.error'));
    try {
      await timeBox('redis', REDIS_CALL_TIMEOUT_MS, made.waitUntilReady());
    } catch (error) {
      void made.close().catch(() => undefined);
      throw error;
    }
    made.run().then(
      () => {
        // Ends only when closed; closed by anyone but close(), it must not stay cached.
        if (!this.closing) forget();
      },
      (error: unknown) => {
        this.logger.warn({ err: (error as Error)?.message, nodeId }, 'queue_events.stopped');
        forget();
        void made.close().catch(() => undefined);
      },
    );
    this.logger.debug({ nodeId, lastEventId }, 'queue_events.opened');
    return made;
  }

  /** Throws 503 `unavailable` at once while the shared connection is down. */
  assertConnected(): void {
    if (this.redis.status !== 'ready') throw queueUnavailable(new Error(`redis is ${this.redis.status}`));
  }

  /** The node's queue once initialised; a queue whose start-up failed (Redis dropped meanwhile) is made anew. */
  private async readyQueue(nodeId: string): Promise<Queue> {
    this.assertConnected();
    const queue = this.queue(nodeId);
    try {
      await timeBox('redis', REDIS_CALL_TIMEOUT_MS, queue.waitUntilReady());
    } catch (error) {
      if (!(error instanceof ServiceTimeout) && this.queues.get(nodeId) === queue) {
        this.queues.delete(nodeId);
        void queue.close().catch(() => undefined);
      }
      throw queueUnavailable(error);
    }
    return queue;
  }

  /** A queue command, time-boxed; Redis errors become 503 `unavailable`. */
  private async call<T>(nodeId: string, command: (queue: Queue) => Promise<T>): Promise<T> {
    const queue = await this.readyQueue(nodeId);
    try {
      return await timeBox('redis', REDIS_CALL_TIMEOUT_MS, command(queue));
    } catch (error) {
      if (this.redis.status !== 'ready' || error instanceof ServiceTimeout) throw queueUnavailable(error);
      throw error;
    }
  }

  async add(nodeId: string, name: string, data: unknown, jobId: string, options: JobsOptions = {}): Promise<Job> {
    // The request that sends the job names it, so the agent's log lines of the job carry its id.
    const requestId = currentRequest()?.requestId;
    const traced = requestId && typeof data === 'object' && data !== null ? { ...data, requestId } : data;
    return this.call(nodeId, (queue) => queue.add(name, traced, { jobId, removeOnComplete: KEEP, removeOnFail: KEEP, ...options }));
  }

  /** Removes a job that no worker holds (waiting, delayed); a job being worked on stays. */
  async removeIfIdle(nodeId: string, jobId: string): Promise<boolean> {
    return this.call(nodeId, async (queue) => {
      const job = await queue.getJob(jobId);
      if (!job) return false;
      const state = await job.getState();
      if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
      await job.remove().catch(() => undefined);
      return true;
    });
  }

  /** Fails every request waiting on a job of this node (it went down: its jobs will not finish). */
  failWaits(nodeId: string, error: Error): void {
    for (const waiter of this.waiters.get(nodeId) ?? []) waiter.fail(error);
  }

  /**
   * Adds a job and waits until it has ended: completed, or failed for good (a failure with
   * attempts left is a retry, not an end). The outcome is always read from the job itself,
   * the same read the reaper makes; the node's event stream only says when to read (its
   * listener is registered, and the stream connected, before the job is added), and a read
   * every pollIntervalMs covers events that never arrive.
   */
  async addAndWait(
    nodeId: string,
    name: string,
    data: unknown,
    jobId: string,
    options: JobsOptions,
    timeoutMs: number,
  ): Promise<EndedJob> {
    return new Promise<EndedJob>((resolve, reject) => {
      let events: QueueEvents | undefined;
      let settled = false;
      const waiter: Waiter = { fail: (error) => finish(() => reject(error)) };
      let waiting = this.waiters.get(nodeId);
      if (!waiting) this.waiters.set(nodeId, (waiting = new Set()));
      waiting.add(waiter);
      let pollTimer: NodeJS.Timeout | undefined;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(pollTimer);
        waiting.delete(waiter);
        if (waiting.size === 0 && this.waiters.get(nodeId) === waiting) this.waiters.delete(nodeId);
        events?.off('completed', onEvent);
        events?.off('failed', onEvent);
        action();
      };
      const timer = setTimeout(
        () => finish(() => reject(new JobWaitTimeout(`job ${jobId} did not finish within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const readOutcome = async () => {
        const outcome = await this.outcome(nodeId, jobId);
        if (outcome.state === 'completed' || outcome.state === 'failed') finish(() => resolve(outcome));
      };
      const onEvent = ({ jobId: id }: { jobId: string }) => {
        if (id === jobId) void readOutcome().catch(() => undefined);
      };
      // One poll at a time; a failed poll (Redis blip) is simply tried again at the next tick.
      const poll = () => {
        if (settled) return;
        pollTimer = setTimeout(() => {
          readOutcome()
            .catch((error: unknown) => this.logger.debug({ err: (error as Error)?.message, nodeId, jobId }, 'job.poll_failed'))
            .finally(poll);
        }, this.pollIntervalMs);
      };
      // Fail fast while Redis is down: nothing is written, nothing is sent later.
      Promise.resolve()
        .then(() => this.assertConnected())
        .then(() => this.queueEvents(nodeId).catch((error: unknown) => Promise.reject(queueUnavailable(error))))
        .then((ready) => {
          if (settled) return undefined;
          events = ready;
          ready.on('completed', onEvent);
          ready.on('failed', onEvent);
          return this.add(nodeId, name, data, jobId, options);
        })
        .then(async (job) => {
          if (!job) return;
          // The job may already have existed (a re-send) and be finished.
          // Once added, a failed read is no reason to give up: the events and polls go on.
          await readOutcome().catch(() => undefined);
          poll();
        })
        .catch((error: unknown) => finish(() => reject(error)));
    });
  }

  /**
   * How a job stands, read from the job itself: its result once completed, its reason once
   * failed for good (a failed attempt with attempts left is `delayed` or `waiting`).
   */
  async outcome(nodeId: string, jobId: string): Promise<JobOutcome> {
    return this.call(nodeId, async (queue) => {
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') return { state: 'missing' as const };
      if (state !== 'completed' && state !== 'failed') return { state: 'pending' as const };
      const job = await queue.getJob(jobId);
      if (!job) return { state: 'missing' as const };
      return state === 'completed'
        ? { state, returnvalue: job.returnvalue as unknown }
        : { state, failedReason: job.failedReason || 'the node gave no reason' };
    });
  }

  async jobState(nodeId: string, jobId: string): Promise<{ state: JobState | 'missing'; job?: Job }> {
    return this.call(nodeId, async (queue) => {
      const job = await queue.getJob(jobId);
      if (!job) return { state: 'missing' as const };
      return { state: await job.getState(), job };
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const events = [...this.events.values()];
    this.events.clear();
    await Promise.allSettled(events.map(async (pending) => (await pending).close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
