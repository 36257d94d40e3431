import { CloseSessionJob, EVENT, JOB, PlaygroundError, SessionId, jobId, newSessionId, type AdminSessionView, type TerminalLanguage } from '@playground/contracts';
import type { AuditLog } from './audit.ts';
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { Session } from './generated/prisma/client.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { NodeQueues } from './node-queues.ts';
import { noCapacity, type Placement } from './placement.ts';
import { sessionEndedMessage } from './session-ended.ts';
import { SESSION_LOST_MESSAGE } from './session-lost.ts';
import type { TerminalExits } from './terminal-exits.ts';

// Session lifecycle: active → closing (close job sent to its node) → ended (job completed);
// active → lost when its node stops answering (Nodes.markDown). Postgres holds the state;
// the reaper drives the later steps, so a restart loses nothing.

/** Close jobs are retried by BullMQ first, then re-sent by the reaper. */
export const CLOSE_JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 1_000 } } as const;

export type CloseReason = 'closed' | 'expired' | 'admin';

export class Sessions {
  private readonly serial = new KeyedMutex();

  constructor(
    private readonly db: Db,
    private readonly queues: NodeQueues,
    private readonly placement: Placement,
    private readonly audit: AuditLog,
    private readonly terminals: TerminalExits,
    private readonly config: Pick<Config, 'SESSION_TTL_MINUTES' | 'MAX_SESSIONS_PER_CLIENT'>,
  ) {}

  /** `ttlMinutes` may shorten the session's life (PWD's `session-duration`), never lengthen it. */
  async create(clientKey: string, options: { ttlMinutes?: number; language?: TerminalLanguage } = {}): Promise<Session> {
    const ttlMinutes = Math.min(options.ttlMinutes ?? Infinity, this.config.SESSION_TTL_MINUTES);
    const max = this.config.MAX_SESSIONS_PER_CLIENT;
    const lockKey = `session-limit:${clientKey}`;
    // Parallel creates of one client queue here, holding no connection; only the one in
    // front opens a (short) transaction. Every read and write of the critical section runs
    // on `tx`, the connection that holds the lock: never on the shared pool, whose
    // connections may all be taken by other requests.
    const session = await this.serial.run(lockKey, () =>
      this.db.$transaction(async (tx) => {
        // The guard of "count, then create": two parallel requests of one client cannot both slip under the limit.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
        const active = await tx.session.count({ where: { clientKey, status: 'active' } });
        if (active >= max) {
          throw new PlaygroundError(
            'session_limit',
            `You already have ${active} active sessions, the most allowed per client (${max}). Close one to start another.`,
          );
        }
        const node = await this.placement.pickNode(new Date(), tx);
        if (!node) {
          throw noCapacity('no machine has room for a new session right now. Please try again in a minute.');
        }
        return tx.session.create({
          data: {
            id: newSessionId(),
            clientKey,
            nodeId: node.nodeId,
            expiresAt: new Date(Date.now() + ttlMinutes * 60_000),
            language: options.language ?? null,
          },
        });
      }),
    );
    await this.audit.record(EVENT.sessionCreated, { sessionId: session.id, nodeId: session.nodeId ?? undefined });
    return session;
  }

  /**
   * A workshop's seat, on the node the workshop's plan chose (Placement.planSeats). It is
   * outside the per-client limit: the workshop's seat count is its limit.
   */
  async createSeat(workshopId: string, nodeId: string, expiresAt: Date): Promise<Session> {
    const session = await this.db.session.create({
      data: { id: newSessionId(), clientKey: `workshop:${workshopId}`, nodeId, expiresAt },
    });
    await this.audit.record(EVENT.sessionCreated, { sessionId: session.id, nodeId, data: { workshopId } });
    return session;
  }

  /** A later end for an active session (a workshop learner's extension); never an earlier one. */
  async extendTo(sessionId: string, expiresAt: Date): Promise<void> {
    await this.db.session.updateMany({ where: { id: sessionId, status: 'active', expiresAt: { lt: expiresAt } }, data: { expiresAt } });
  }

  /** The session if it is active; otherwise 404 (unknown, ended) or 410 session_lost (ids are opaque: malformed is unknown). */
  async requireActive(id: string): Promise<Session> {
    const session = await this.requireViewable(id);
    if (session.status === 'lost') throw new PlaygroundError('session_lost', SESSION_LOST_MESSAGE);
    return session;
  }

  /** For GET: an active session, or a lost one (200 with status `lost`, so the page can explain). */
  async requireViewable(id: string): Promise<Session> {
    const session = SessionId.safeParse(id).success ? await this.db.session.findUnique({ where: { id } }) : null;
    if (!session) throw new PlaygroundError('not_found', 'No such session.');
    if (session.status !== 'active' && session.status !== 'lost') {
      throw new PlaygroundError('session_ended', sessionEndedMessage(session.endReason, this.config.SESSION_TTL_MINUTES));
    }
    return session;
  }

  /** DELETE: closing twice is fine; an unknown or ended session is a 404. */
  async close(id: string): Promise<void> {
    const session = SessionId.safeParse(id).success ? await this.db.session.findUnique({ where: { id } }) : null;
    if (!session) throw new PlaygroundError('not_found', 'No such session.');
    if (session.status === 'closing') return;
    if (session.status === 'lost') {
      // Nothing left to remove (its node removes the leftovers when it returns): it simply ends.
      await this.db.session.updateMany({ where: { id, status: 'lost' }, data: { status: 'ended', endedAt: new Date() } });
      return;
    }
    if (session.status !== 'active') throw new PlaygroundError('session_ended', 'This session has ended.');
    await this.beginClose(session, 'closed');
  }

  /** active → closing, then the close job on its node; terminals end at once. */
  async beginClose(session: Pick<Session, 'id' | 'nodeId'>, reason: CloseReason): Promise<boolean> {
    const changed = await this.db.session.updateMany({
      where: { id: session.id, status: 'active' },
      data: { status: 'closing', endReason: reason },
    });
    if (changed.count === 0) return false;
    this.terminals.exitSession(session.id, sessionEndedMessage(reason, this.config.SESSION_TTL_MINUTES));
    try {
      await this.sendCloseJob(session);
    } catch (error) {
      // Recorded as closing in Postgres: the reaper sends the job once Redis is back.
      if (!(error instanceof PlaygroundError && error.code === 'unavailable')) throw error;
    }
    await this.audit.record(reason === 'expired' ? EVENT.sessionExpired : EVENT.sessionClosed, {
      sessionId: session.id,
      nodeId: session.nodeId ?? undefined,
      data: { reason },
    });
    return true;
  }

  async sendCloseJob(session: Pick<Session, 'id' | 'nodeId'>): Promise<void> {
    if (!session.nodeId) return;
    const data: CloseSessionJob = { sessionId: session.id };
    await this.queues.add(session.nodeId, JOB.closeSession, data, jobId.closeSession(session.id), CLOSE_JOB_OPTIONS);
  }

  /** closing → ended once its node removed everything; its instances are gone with it. */
  async finishClose(sessionId: string): Promise<void> {
    const now = new Date();
    await this.db.$transaction([
      this.db.instance.updateMany({
        where: { sessionId, status: { not: 'deleted' } },
        data: { status: 'deleted', deletedAt: now },
      }),
      this.db.session.updateMany({ where: { id: sessionId, status: 'closing' }, data: { status: 'ended', endedAt: now } }),
    ]);
  }

  /**
   * Closing sessions whose close job completed → ended; `among` limits it to these sessions.
   * Returns how many of them are still closing. The reaper runs it on every sweep; closeAll
   * runs it until its sessions are done.
   */
  async finishClosed(among?: string[]): Promise<number> {
    const closing = await this.db.session.findMany({
      where: { status: 'closing', ...(among ? { id: { in: among } } : {}) },
      select: { id: true, nodeId: true },
      take: 200,
    });
    let still = 0;
    for (const session of closing) {
      const { state } = session.nodeId ? await this.queues.outcome(session.nodeId, jobId.closeSession(session.id)) : { state: 'completed' };
      if (state === 'completed') await this.finishClose(session.id);
      else still++;
    }
    return still;
  }

  /**
   * Closes every active session and waits (bounded) until their nodes confirmed; used on a
   * deliberate shutdown of the whole playground.
   */
  async closeAll(timeoutMs: number): Promise<{ closed: number; pending: number }> {
    const sessions = await this.db.session.findMany({ where: { status: { in: ['active', 'closing'] } } });
    for (const session of sessions) {
      if (session.status === 'active') await this.beginClose(session, 'admin');
      else await this.sendCloseJob(session);
    }
    const ids = sessions.map((session) => session.id);
    const deadline = Date.now() + timeoutMs;
    let pending = await this.finishClosed(ids);
    while (pending > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      pending = await this.finishClosed(ids);
    }
    return { closed: sessions.length - pending, pending };
  }

  /** Sessions not over yet, newest first, for the operator page. */
  async listLive(limit = 500): Promise<AdminSessionView[]> {
    const rows = await this.db.session.findMany({
      where: { status: { in: ['active', 'closing', 'lost'] } },
      orderBy: { createdAt: 'desc' },
      take: limit,
      include: { _count: { select: { instances: { where: { status: { in: ['creating', 'running'] } } } } } },
    });
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      client: row.clientKey,
      nodeId: row.nodeId,
      createdAt: row.createdAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      instances: row._count.instances,
    }));
  }
}
