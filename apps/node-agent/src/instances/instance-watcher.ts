import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL } from '@playground/contracts';
import { instanceIdFromContainerName, POOL_LABEL } from './pool-records.ts';

// Watches the engine's event stream for our containers dying or vanishing without this agent
// asking (OOM kill, crash, someone's `docker rm -f` on the host) and reports them as gone.

export interface InstanceWatcherOptions {
  docker: Docker;
  nodeId: string;
  isExpectedStop: (instanceId: string) => boolean;
  onGone: (instanceId: string, reason: string) => void;
  /** A warm pool member (not yet an instance) died or vanished: its container id. */
  onPoolMemberGone?: (containerId: string | undefined) => void;
  logger: Logger;
}

/** One report per instance within this window (die is followed by destroy). */
const DEDUPE_MS = 60_000;

export class InstanceWatcher {
  private stream: NodeJS.ReadableStream | undefined;
  private stopped = true;
  private retry: NodeJS.Timeout | undefined;
  private readonly reported = new Map<string, number>();

  constructor(private readonly opts: InstanceWatcherOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    (this.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    this.stream = undefined;
  }

  private async connect(): Promise<void> {
    try {
      const stream = await this.opts.docker.getEvents({
        filters: {
          type: ['container'],
          event: ['die', 'destroy', 'oom'],
          label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.opts.nodeId}`],
        },
      });
      this.stream = stream;
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) this.handle(line);
        }
      });
      stream.on('end', () => this.reconnect());
      stream.on('error', () => this.reconnect());
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'docker.events_failed');
      this.reconnect();
    }
  }

  private reconnect(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, 1000);
  }

  private handle(line: string): void {
    let event: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const attrs = event.Actor?.Attributes ?? {};
    // A claimed pool container keeps its pool labels; its name says which instance it became.
    const claimed = attrs[POOL_LABEL.member] ? instanceIdFromContainerName(attrs.name ?? '') : undefined;
    const instanceId = attrs[LABEL.instance] ?? claimed;
    if (attrs[POOL_LABEL.member] && !claimed && event.Action !== 'oom') this.opts.onPoolMemberGone?.(event.Actor?.ID);
    if (!instanceId || event.Action === 'oom') return; // an oom is followed by die
    if (this.opts.isExpectedStop(instanceId)) return;
    const now = Date.now();
    const last = this.reported.get(instanceId);
    if (last !== undefined && now - last < DEDUPE_MS) return;
    for (const [id, at] of this.reported) if (now - at > DEDUPE_MS) this.reported.delete(id);
    this.reported.set(instanceId, now);
    const reason =
      event.Action === 'die'
        ? `the instance stopped (exit code ${attrs.exitCode ?? 'unknown'})`
        : 'the instance was removed from its node';
    this.opts.logger.warn({ instanceId, action: event.Action, exitCode: attrs.exitCode }, 'instance.gone');
    this.opts.onGone(instanceId, reason);
  }
}
