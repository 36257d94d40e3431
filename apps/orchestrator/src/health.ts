import type { HealthView } from '@playground/contracts';
import type { Redis } from 'ioredis';
import type { Db } from './db.ts';
import type { Node } from './generated/prisma/client.ts';
import type { LinkedNodes } from './gateway/linked-nodes.ts';
import { nodeStatus } from './nodes.ts';
import { timeBox } from './service-errors.ts';

// Health never hangs: each dependency gets a fixed time box and a down one is reported, not awaited.

const CHECK_TIMEOUT_MS = 1_000;

async function timeBoxed(service: 'postgres' | 'redis', check: () => Promise<unknown>): Promise<{ ok: boolean; message?: string }> {
  try {
    await timeBox(service, CHECK_TIMEOUT_MS, check());
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

export class Health {
  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly links: Pick<LinkedNodes, 'linked'>,
  ) {}

  async check(): Promise<HealthView> {
    const [postgres, redis] = await Promise.all([
      timeBoxed('postgres', () => this.db.$queryRaw`SELECT 1`),
      timeBoxed('redis', async () => {
        if (this.redis.status !== 'ready') throw new Error(`not connected (${this.redis.status})`);
        return this.redis.ping();
      }),
    ]);
    let nodes: HealthView['nodes'] = [];
    if (postgres.ok) {
      let rows: Node[] = [];
      // Redis away: no link can be vouched for, so every node reads unlinked.
      let linked = new Set<string>();
      const [read] = await Promise.all([
        timeBoxed('postgres', async () => (rows = await this.db.node.findMany({ orderBy: { id: 'asc' } }))),
        redis.ok ? timeBoxed('redis', async () => (linked = await this.links.linked())) : undefined,
      ]);
      if (read.ok) {
        nodes = rows.map((node) => ({
          id: node.id,
          name: node.name,
          status: nodeStatus(node),
          lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
          linked: linked.has(node.id),
        }));
      }
    }
    return { ok: postgres.ok && redis.ok, postgres, redis, nodes };
  }
}
