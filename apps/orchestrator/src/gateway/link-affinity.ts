import type { IncomingMessage, ServerResponse } from 'node:http';
import { InstanceId, LINK_AFFINITY_PATH, type LinkAffinityAnswer } from '@playground/contracts';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { LinkRegistry } from './link-registry.ts';

// Answers the web edge's question "which replica should carry this instance's terminal?": the
// one holding the agent link of the instance's node (link registry in Redis). A socket there
// takes the direct path; anywhere else, every keystroke and echo crosses Redis to that replica.
// The answer is advice: when it cannot be given (no such instance, Redis away) the edge spreads
// the socket as any other request, and the terminal still works through the relay.

export class LinkAffinity {
  constructor(
    private readonly db: Db,
    private readonly registry: Pick<LinkRegistry, 'holderOf'>,
    private readonly replicaId: string,
    private readonly logger: Logger,
  ) {}

  handles(req: IncomingMessage): boolean {
    return req.method === 'GET' && (req.url === LINK_AFFINITY_PATH || req.url?.startsWith(`${LINK_AFFINITY_PATH}?`) === true);
  }

  /** `GET /_edge/link-affinity?instance=<id>` → 200 LinkAffinityAnswer; without an instance, just this replica's id. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const instance = new URL(req.url ?? '/', 'http://replica').searchParams.get('instance');
    if (instance !== null && !InstanceId.safeParse(instance).success) {
      return send(res, 400, { error: { code: 'bad_request', message: 'instance must be an instance id.' } });
    }
    const answer = (holder: string | null) => send(res, 200, { replica: this.replicaId, holder } satisfies LinkAffinityAnswer);
    if (instance === null) return answer(null);
    this.holderFor(instance).then(
      (holder) => answer(holder ?? null),
      (error: unknown) => {
        this.logger.debug({ instanceId: instance, err: String(error) }, 'terminal.affinity_unknown');
        answer(null);
      },
    );
  }

  /** The replica holding the link of the instance's node, if the instance exists and a replica holds it. */
  async holderFor(instanceId: string): Promise<string | undefined> {
    const instance = await this.db.instance.findUnique({ where: { id: instanceId }, select: { nodeId: true } });
    if (!instance?.nodeId) return undefined;
    return this.registry.holderOf(instance.nodeId);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
