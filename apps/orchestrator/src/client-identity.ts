import type { IncomingMessage } from 'node:http';
import type { Db } from './db.ts';
import type { Logger } from './logger.ts';

// Who a request counts against, for per-client limits. Usually its client address (see
// client-address.ts). A request from inside an instance (its source address is a running
// instance's IP on its session network) counts against the client that owns that session:
// otherwise every instance would be a fresh client with its own quota, and one visitor could
// multiply their sessions by starting them from their instances.

export interface ClientIdentity {
  /** The address the request came from, as far as trusted proxies say. */
  address: string;
  /** The key per-client limits and session ownership use. */
  key: string;
}

export function createClientIdentity(db: Db, clientAddress: (req: IncomingMessage) => string, logger: Logger) {
  return async function identify(req: IncomingMessage): Promise<ClientIdentity> {
    const address = clientAddress(req);
    const owners = await db.instance.findMany({
      where: { ip: address, status: 'running', session: { status: 'active' } },
      select: { id: true, session: { select: { clientKey: true } } },
      take: 2,
    });
    const keys = new Set(owners.map((owner) => owner.session.clientKey));
    // Nodes may reuse an address range: when instances of different clients share this IP we
    // cannot tell which one asked, and the address itself stays the key (still one client).
    if (keys.size !== 1) return { address, key: address };
    const key = [...keys][0]!;
    logger.debug({ address, instanceId: owners[0]!.id }, 'client.from_instance');
    return { address, key };
  };
}

export type ClientIdentifier = ReturnType<typeof createClientIdentity>;
