import { deriveNodeToken, verifyNodeToken } from '@playground/contracts/node-token';
import type { Db } from './db.ts';

/**
 * Each node's agent credential: a token derived from AGENT_SECRET and the node id, valid
 * only at the node's current generation (a NodeCredential row; none means 0). Issuing a new
 * token raises the generation, which revokes every earlier token of that node alone.
 */
export class NodeCredentials {
  constructor(
    private readonly db: Db,
    private readonly secret: string,
  ) {}

  async verify(nodeId: string, token: string): Promise<boolean> {
    const row = await this.db.nodeCredential.findUnique({ where: { nodeId }, select: { generation: true } });
    return verifyNodeToken(this.secret, nodeId, row?.generation ?? 0, token);
  }

  /** Revokes the node's current token and returns its next one. */
  async rotate(nodeId: string): Promise<{ token: string; generation: number }> {
    const row = await this.db.nodeCredential.upsert({
      where: { nodeId },
      create: { nodeId, generation: 1 },
      update: { generation: { increment: 1 } },
    });
    return { token: deriveNodeToken(this.secret, nodeId, row.generation), generation: row.generation };
  }
}
