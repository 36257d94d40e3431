import { connect } from 'node:net';
import type { Logger } from 'pino';

// The orchestrator replicas behind the edge and which of them answer. Requests are spread
// round-robin over the live ones; a replica is taken out the moment a connection to it fails
// (the proxy reports it) and put back when a probe connects again. The probe is a bare TCP
// connect: it proves the process listens without asking anything of Postgres or Redis, whose
// outages every replica shares and the orchestrator answers itself (503).

const PROBE_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 1_000;

export class OrchestratorPool {
  private readonly down = new Set<string>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly targets: readonly string[],
    private readonly logger: Logger,
  ) {
    if (targets.length === 0) throw new Error('at least one orchestrator is needed');
    // One replica has no other to fall back to: it is always tried, so there is nothing to probe.
    if (targets.length > 1) {
      this.timer = setInterval(() => void this.probeAll(), PROBE_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /**
   * The replica for the next request: the next live one not in `tried`. When none is known to
   * be live, one not tried yet anyway (the probe may simply not have seen it come back).
   */
  pick(tried: ReadonlySet<string> = new Set()): string | undefined {
    const candidates = this.targets.filter((target) => !tried.has(target));
    const live = candidates.filter((target) => !this.down.has(target));
    const from = live.length > 0 ? live : candidates;
    if (from.length === 0) return undefined;
    this.next = (this.next + 1) % from.length;
    return from[this.next];
  }

  /** A connection to `target` failed: no new request goes there until a probe reaches it. */
  failed(target: string, reason: string): void {
    if (this.targets.length === 1 || this.down.has(target)) return;
    this.down.add(target);
    this.logger.warn({ target, reason }, 'edge.orchestrator_down');
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      this.targets.map(async (target) => {
        const up = await reachable(target);
        if (up && this.down.delete(target)) this.logger.info({ target }, 'edge.orchestrator_up');
        if (!up) this.failed(target, 'probe');
      }),
    );
  }
}

function reachable(target: string): Promise<boolean> {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port, timeout: PROBE_TIMEOUT_MS });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Errors that mean the request never reached the replica, so another one may be tried. */
export function neverReached(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EPIPE';
}
