import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Server as EngineServer } from 'engine.io';
import type { FastifyInstance } from 'fastify';
import { decodePortTunnelPath } from '@playground/contracts';
import type { PortProxy } from './port-proxy.ts';
import type { LinkAffinity } from './gateway/link-affinity.ts';
import type { PwdSockets } from './pwd/pwd-socket.ts';
import type { Logger } from './logger.ts';
import { currentRequest, runAsRequest } from './request-context.ts';

// One dispatcher for 'request' and 'upgrade'. Port traffic arrives already matched by the web
// edge, under the port tunnel's prefix (contracts: PORT_TUNNEL_PREFIX); nothing here matches
// port hosts or paths. The edge asks where a terminal's socket belongs (gateway/link-affinity.ts).
// Upgrades go to the port tunnel, Socket.IO (/socket.io/) or Play with
// Docker's plain WebSocket (/sessions/<id>/ws/).

const SOCKET_IO_PATH = '/socket.io/';

export function createHttpServer(parts: {
  portProxy: PortProxy;
  engine: EngineServer;
  api: FastifyInstance;
  pwdSockets: PwdSockets;
  affinity: LinkAffinity;
  logger: Logger;
}): HttpServer {
  const { portProxy, engine, api, pwdSockets, affinity, logger } = parts;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = decodePortTunnelPath(req.url);
    if (route) {
      portProxy.web(req, res, route).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'internal', message: 'The port proxy failed.' } }));
      });
      return;
    }
    if (req.url?.startsWith(SOCKET_IO_PATH)) return engine.handleRequest(req, res);
    if (affinity.handles(req)) return affinity.handle(req, res);
    runAsRequest(req, res, () => {
      const started = performance.now();
      const { requestId } = currentRequest()!;
      // One line per API call (the access log), with the id that the jobs it sends carry too.
      res.once('finish', () =>
        logger.info(
          { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) },
          'http.request',
        ),
      );
      api.routing(req, res);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    (socket as Socket).on('error', () => socket.destroy());
    const route = decodePortTunnelPath(req.url);
    if (route) return void portProxy.upgrade(req, socket, head, route).catch(() => socket.destroy());
    if (req.url?.startsWith(SOCKET_IO_PATH)) return engine.handleUpgrade(req, socket, head);
    if (pwdSockets.handles(req)) return pwdSockets.upgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return server;
}
