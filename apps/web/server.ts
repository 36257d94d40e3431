// Entry of the web app: `node --import tsx server.ts`. Builds the parts and connects them:
// config → logger → Next (pages) → orchestrator proxy → one edge HTTP server.
import { Server as HttpServer } from 'node:http';
import next from 'next';
import { pino } from 'pino';
import { ConfigError, parseConfig } from './src/config.ts';
import { createEdgeServer } from './src/edge/edge-server.ts';
import { createOrchestratorProxy } from './src/edge/orchestrator-proxy.ts';

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  // Next's anonymous telemetry would phone home; this project sends traffic only where the
  // operator points it. An operator who wants it sets NEXT_TELEMETRY_DISABLED=0.
  process.env.NEXT_TELEMETRY_DISABLED ??= '1';
  const logger = pino({ level: config.logLevel, base: { service: 'web' } });

  // Next attaches its own 'upgrade' listener to the server it is given (or, if none, to
  // the first request's server) and ends sockets on paths it routes — which would cut
  // our proxied WebSockets. So it gets a private server that never listens; the edge
  // hands it only /_next/ upgrades (the dev HMR socket) by emitting them there.
  const nextUpgradeBus = new HttpServer();
  const app = next({
    dev: config.dev,
    dir: import.meta.dirname,
    hostname: config.host,
    port: config.port,
    httpServer: nextUpgradeBus,
    quiet: !config.dev,
  });
  await app.prepare();
  const handle = app.getRequestHandler();

  const orchestrator = createOrchestratorProxy({
    targets: config.orchestratorUrls,
    trustProxy: config.trustProxy,
    logger,
  });
  const edge = createEdgeServer({
    portHostDomains: config.portHostDomains,
    embedOrigins: config.embedOrigins,
    orchestrator,
    logger,
    pages: {
      handle: (req, res) => handle(req, res),
      upgrade: config.dev ? (req, socket, head) => nextUpgradeBus.emit('upgrade', req, socket, head) : undefined,
    },
  });

  await new Promise<void>((resolve, reject) => {
    edge.server.once('error', reject);
    edge.server.listen(config.port, config.host, () => resolve());
  });
  const address = edge.server.address();
  logger.info(
    {
      port: typeof address === 'object' && address ? address.port : config.port,
      host: config.host,
      orchestratorUrls: config.orchestratorUrls,
      portsDomain: config.portsDomain,
      mode: config.dev ? 'development' : 'production',
    },
    'edge.listening',
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'edge.stopping');
    await edge.close(10_000);
    await app.close().catch(() => undefined);
    logger.info('edge.stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`web: ${err.message}\n`);
  } else {
    process.stderr.write(`web: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
