import { connect } from 'node:net';
import type { Logger } from 'pino';
import { LINK_AFFINITY_PATH, LinkAffinityAnswer } from '@playground/contracts';

// The orchestrator replicas behind the edge and which of them answer. Requests are spread
// round-robin over the live ones; a replica is taken out the moment a connection to it fails
// (the proxy reports it) and put back when a probe connects again. The probe is a bare TCP
// connect: it proves the process listens without asking anything of Postgres or Redis, whose
// outages every replica shares and the orchestrator answers itself (503).
// The pool also learns each live replica's id (its answer at LINK_AFFINITY_PATH, which needs
// neither), so that a terminal can be sent to the replica a replica named (edge/terminal-affinity.ts).

const PROBE_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 1_000;

export class OrchestratorPool {
  private readonly down = new Set<string>();
  /** Replica id of each live target, once learned (a restarted process has a new one). */
  private readonly ids = new Map<string, string>();
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
    this.ids.delete(target);
    this.logger.warn({ target, reason }, 'edge.orchestrator_down');
  }

  /** The live target whose replica id is `replicaId`, if one is known. */
  liveTargetOf(replicaId: string): string | undefined {
    for (const [target, id] of this.ids) if (id === replicaId && !this.down.has(target)) return target;
    return undefined;
  }

  /** Learns the ids of live targets not known yet (bounded: a silent replica is simply left unknown). */
  async learnIds(): Promise<void> {
    await Promise.all(
      this.targets
        .filter((target) => !this.ids.has(target) && !this.down.has(target))
        .map(async (target) => {
          const answer = await askReplica(target).catch(() => undefined);
          if (answer) this.ids.set(target, answer.replica);
        }),
    );
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
    await this.learnIds();
  }
}

/** Asks a replica where an instance's terminal belongs (or, without an instance, only its own id). */
export async function askReplica(target: string, instanceId?: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<LinkAffinityAnswer> {
  const query = instanceId ? `?instance=${encodeURIComponent(instanceId)}` : '';
  const response = await fetch(`${target}${LINK_AFFINITY_PATH}${query}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${target} answered ${response.status}`);
  return LinkAffinityAnswer.parse(await response.json());
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
