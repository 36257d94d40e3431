import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { frameAncestorsFor } from './frame-ancestors.ts';
import type { OrchestratorProxy } from './orchestrator-proxy.ts';
import { routeRequest } from './route-request.ts';

/** What the edge needs from Next: its request handler, and (dev only) its HMR upgrades. */
export interface PageHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Upgrades under /_next/ (the dev HMR socket); absent in production. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface EdgeServer {
  server: Server;
  /** Stops accepting, lets requests finish for up to `graceMs`, then cuts what remains. */
  close(graceMs?: number): Promise<void>;
}

/**
 * One HTTP server in front of everything: port hosts and orchestrator paths go to the
 * orchestrator (HTTP and WebSocket), the rest to Next.
 */
export function createEdgeServer(options: {
  portHostDomains: readonly string[];
  orchestrator: OrchestratorProxy;
  pages: PageHandler;
  logger: Logger;
  /** EMBED_ORIGINS: who may frame /embed/ pages. */
  embedOrigins?: { any: boolean; origins: readonly string[] };
}): EdgeServer {
  const { portHostDomains, orchestrator, pages, logger } = options;
  const embedOrigins = options.embedOrigins ?? { any: false, origins: [] };
  // Upgraded sockets are invisible to server.close(); keep them to end them on shutdown.
  const upgraded = new Set<Duplex>();

  const server = createServer((req, res) => {
    const route = routeRequest({ host: req.headers.host, url: req.url, method: req.method }, portHostDomains);
    if (route.to === 'port') req.url = route.tunnelPath;
    if (route.to !== 'next') {
      orchestrator.web(req, res);
      return;
    }
    res.setHeader('Content-Security-Policy', frameAncestorsFor(req.url ?? '/', embedOrigins));
    pages.handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'edge.page_failed');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end('Something went wrong on our side. Please reload the page.');
      } else {
        res.destroy();
      }
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const route = routeRequest({ host: req.headers.host, url: req.url, method: req.method }, portHostDomains);
    if (route.to === 'port') req.url = route.tunnelPath;
    if (route.to !== 'next') {
      orchestrator.ws(req, socket, head);
      return;
    }
    if (pages.upgrade && req.url?.startsWith('/_next/')) {
      pages.upgrade(req, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    logger.debug({ code: err.code }, 'edge.client_error');
    if (socket.writable && !socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const socket of upgraded) socket.end();
    const timer = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
    orchestrator.close();
  }

  return { server, close };
}
