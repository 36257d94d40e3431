import type { Logger } from 'pino';
import { askReplica, type OrchestratorPool } from './orchestrator-pool.ts';

// With several orchestrator replicas, a terminal's socket is sent to the replica that holds the
// agent link of its instance's node (the handshake URL names the instance): keystrokes and
// echoes then take the direct path instead of a relay through Redis to that replica. Any
// replica can say which one it is. The answer is kept briefly, so a page's reconnects and tabs
// ask once; when the agent relinks elsewhere, new sockets follow within that time. When no
// answer comes (no such instance, the holder is down, a replica is slow), the socket is spread
// like any other request: it still works, through the relay.

/** How long an answer is used; an agent that relinked elsewhere is followed after at most this. */
const ANSWER_TTL_MS = 2_000;
/** Bound on asking, so a slow replica delays a terminal's connect by at most this. */
const ASK_TIMEOUT_MS = 500;
/** Answers kept at most (one per instance with a terminal opening now). */
const MAX_ANSWERS = 10_000;

export class TerminalAffinity {
  private readonly answers = new Map<string, { target: string | undefined; until: number }>();

  constructor(
    private readonly pool: OrchestratorPool,
    private readonly logger: Logger,
  ) {}

  /** The replica to send a terminal of `instanceId` to; undefined: any (spread as usual). */
  async targetFor(instanceId: string): Promise<string | undefined> {
    if (this.pool.targets.length < 2) return undefined;
    const now = Date.now();
    const kept = this.answers.get(instanceId);
    if (kept && kept.until > now) return kept.target;
    const target = await this.ask(instanceId);
    if (this.answers.size >= MAX_ANSWERS) this.forgetExpired(now);
    if (this.answers.size < MAX_ANSWERS) this.answers.set(instanceId, { target, until: now + ANSWER_TTL_MS });
    return target;
  }

  private async ask(instanceId: string): Promise<string | undefined> {
    const asked = this.pool.pick();
    if (!asked) return undefined;
    try {
      const { holder } = await askReplica(asked, instanceId, ASK_TIMEOUT_MS);
      if (!holder) return undefined;
      let target = this.pool.liveTargetOf(holder);
      if (!target) {
        await this.pool.learnIds();
        target = this.pool.liveTargetOf(holder);
      }
      this.logger.debug({ instanceId, holder, target }, 'edge.terminal_affinity');
      return target;
    } catch (error) {
      this.logger.debug({ instanceId, asked, err: (error as Error).message }, 'edge.terminal_affinity_unknown');
      return undefined;
    }
  }

  private forgetExpired(now: number): void {
    for (const [instanceId, answer] of this.answers) if (answer.until <= now) this.answers.delete(instanceId);
  }
}
