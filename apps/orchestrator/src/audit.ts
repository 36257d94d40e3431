import type { AuditEventView, EventName } from '@playground/contracts';
import type { Db } from './db.ts';
import type { Logger } from './logger.ts';

export interface AuditFields {
  sessionId?: string;
  instanceId?: string;
  nodeId?: string;
  data?: Record<string, unknown>;
}

/** Appends to the audit history and logs the same event; an audit failure never fails the action. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  async record(type: EventName, fields: AuditFields): Promise<void> {
    this.logger.info({ ...fields }, type);
    try {
      await this.db.auditEvent.create({
        data: {
          type,
          sessionId: fields.sessionId,
          instanceId: fields.instanceId,
          nodeId: fields.nodeId,
          data: (fields.data ?? {}) as object,
        },
      });
    } catch (error) {
      this.logger.warn({ err: error, type }, 'audit.write_failed');
    }
  }

  /** The newest events first, of one session when `sessionId` is given. */
  async recent(options: { sessionId?: string; limit: number }): Promise<AuditEventView[]> {
    const rows = await this.db.auditEvent.findMany({
      where: options.sessionId ? { sessionId: options.sessionId } : {},
      orderBy: { id: 'desc' },
      take: options.limit,
    });
    return rows.map((row) => ({
      id: String(row.id),
      at: row.at.toISOString(),
      type: row.type,
      sessionId: row.sessionId,
      instanceId: row.instanceId,
      nodeId: row.nodeId,
      data: row.data,
    }));
  }
}
