import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { portHostDomains } from '@playground/contracts';
import { createEdgeServer, type EdgeServer } from '../../apps/web/src/edge/edge-server.ts';
import { createOrchestratorProxy } from '../../apps/web/src/edge/orchestrator-proxy.ts';

// The web app's real edge server (routing, the one place port URLs are matched) in front of
// an orchestrator, without Next: page paths answer a plain 404. For tests that open port URLs
// against an orchestrator of their own (apps/orchestrator/test/harness.ts), whose
// PUBLIC_URL is on `localhost`.

export async function startEdge(orchestratorUrl: string): Promise<{ port: number; close(): Promise<void> }> {
  const logger = pino({ level: 'silent' });
  const edge: EdgeServer = createEdgeServer({
    portHostDomains: portHostDomains('ports.localhost', 'localhost'),
    orchestrator: createOrchestratorProxy({ targets: [orchestratorUrl], trustProxy: false, logger }),
    pages: { handle: async (_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('no pages here') },
    logger,
  });
  await new Promise<void>((resolve) => edge.server.listen(0, '127.0.0.1', resolve));
  return { port: (edge.server.address() as AddressInfo).port, close: () => edge.close(1_000) };
}
