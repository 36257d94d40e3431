import { z } from 'zod';

// What operators see through the admin API (Authorization: Bearer <ADMIN_TOKEN>) and the
// operator page (/admin).

/** A session that is not over yet (active, closing or lost), as the operator page lists it. */
export const AdminSessionView = z.object({
  id: z.string(),
  status: z.string(),
  /** Who started it (the client address key the per-client limit counts). */
  client: z.string(),
  nodeId: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  instances: z.number().int(),
});
export type AdminSessionView = z.infer<typeof AdminSessionView>;

export const AuditEventView = z.object({
  id: z.string(),
  at: z.string(),
  type: z.string(),
  sessionId: z.string().nullable(),
  instanceId: z.string().nullable(),
  nodeId: z.string().nullable(),
  data: z.unknown(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;

/** GET /api/v1/admin/audit?sessionId=&limit= */
export const AuditQuery = z.object({
  sessionId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
