import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Logger } from 'pino';
import { terminalInstanceOf } from '@playground/contracts';
import { REQUEST_ID_HEADER, acceptedRequestId } from '@playground/contracts/request-id';
import { neverReached, OrchestratorPool } from './orchestrator-pool.ts';
import { TerminalAffinity } from './terminal-affinity.ts';
import { wantsJson } from './route-request.ts';

/**
 * Forwards HTTP requests and WebSocket upgrades to an orchestrator replica, unchanged. Any
 * replica serves any call; a request that could not reach one is tried on the next when that
 * is safe: a request without a body that changes nothing (GET, HEAD, OPTIONS), and a new
 * WebSocket upgrade (nothing was answered yet). Terminals' Socket.IO uses the websocket
 * transport only, so no request depends on reaching the replica of an earlier one. A terminal's
 * socket goes first to the replica holding its node's agent link (edge/terminal-affinity.ts).
 */
export interface OrchestratorProxy {
  web(req: IncomingMessage, res: ServerResponse): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded'];

/** Methods that carry no body and change nothing: safe to send again to another replica. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const UNAVAILABLE_MESSAGE = 'The playground service is not reachable right now. Please try again in a moment.';

export function createOrchestratorProxy(options: {
  /** The orchestrator replicas (ORCHESTRATOR_URL, comma-separated). */
  targets: readonly string[];
  trustProxy: boolean;
  logger: Logger;
  /** Bound on connecting to the orchestrator, so a dead host fails fast instead of hanging. */
  connectTimeoutMs?: number;
}): OrchestratorProxy {
  const { logger } = options;
  const pool = new OrchestratorPool(options.targets, logger);
  const affinity = new TerminalAffinity(pool, logger);
  const proxy = createProxyServer({
    ws: true,
    // The Host header names the learner's app on port hosts, so it must reach the
    // orchestrator as the browser sent it.
    changeOrigin: false,
    xfwd: true,
    // X-Forwarded-Proto says http/https for upgrades too, as load balancers do.
    xfwdWsProtoAsHttp: true,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
  });
  // Errors are handled per call below; this keeps an unexpected one from crashing the process.
  proxy.on('error', (err) => logger.warn({ error: errorSummary(err) }, 'edge.proxy_error'));

  /**
   * Forwarding headers only from a trusted proxy; and every request gets the id that follows
   * it into the orchestrator's and the node agent's logs (a trusted proxy's own id is kept).
   */
  function stripSpoofable(req: IncomingMessage): string {
    if (!options.trustProxy) for (const header of FORWARDED_HEADERS) delete req.headers[header];
    const kept = options.trustProxy ? acceptedRequestId(req.headers[REQUEST_ID_HEADER]) : undefined;
    const requestId = kept ?? randomUUID();
    req.headers[REQUEST_ID_HEADER] = requestId;
    return requestId;
  }

  return {
    web(req, res) {
      const requestId = stripSpoofable(req);
      const tried = new Set<string>();
      const send = (target: string): void => {
        tried.add(target);
        proxy.web(req, res, { target }, (err) => {
          if (neverReached(err)) pool.failed(target, errorSummary(err).code ?? 'error');
          const next = !res.headersSent && RETRYABLE_METHODS.has(req.method ?? '') ? pool.pick(tried) : undefined;
          if (next) return send(next);
          logger.warn({ requestId, target, error: errorSummary(err), method: req.method, url: req.url }, 'edge.orchestrator_unavailable');
          if (res.headersSent) {
            // Failed mid-response: the only honest signal left is to cut the connection.
            res.destroy();
            return;
          }
          sendUnavailable(res, wantsJson(req.url));
        });
      };
      send(pool.pick()!);
    },
    ws(req, socket, head) {
      const requestId = stripSpoofable(req);
      socket.on('error', () => socket.destroy());
      // A kept-alive connection may have carried earlier responses: count from here.
      const duplex = socket as Duplex & { bytesWritten?: number };
      const writtenBefore = duplex.bytesWritten ?? 0;
      const untouched = () => !duplex.destroyed && duplex.writable && (duplex.bytesWritten ?? 0) === writtenBefore;
      const tried = new Set<string>();
      const send = (target: string): void => {
        tried.add(target);
        proxy.ws(req, socket, head, { target }, (err) => {
          if (neverReached(err)) pool.failed(target, errorSummary(err).code ?? 'error');
          const next = untouched() ? pool.pick(tried) : undefined;
          if (next) return send(next);
          logger.warn({ requestId, target, error: errorSummary(err), url: req.url }, 'edge.orchestrator_unavailable');
          // Nothing written yet means the handshake never happened: answer it with a 503
          // (the proxy then ends the socket once this is flushed).
          if (untouched()) {
            const body = JSON.stringify({ error: { code: 'unavailable', message: UNAVAILABLE_MESSAGE } });
            duplex.write(
              'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n' +
                `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
            );
          }
        });
      };
      const instanceId = terminalInstanceOf(req.url);
      if (!instanceId) return send(pool.pick()!);
      affinity.targetFor(instanceId).then(
        (target) => send(target ?? pool.pick()!),
        () => send(pool.pick()!),
      );
    },
    close() {
      pool.close();
      proxy.close();
    },
  };
}

export function sendUnavailable(res: ServerResponse, json: boolean): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', '5');
  res.setHeader('Cache-Control', 'no-store');
  if (json) {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ error: { code: 'unavailable', message: UNAVAILABLE_MESSAGE } }));
    return;
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(unavailablePage());
}

function unavailablePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="10"><title>Playground is unavailable</title>
<style>body{margin:0;min-height:100vh;display:grid;place-items:center;background:#0b0f14;color:#d7dee8;font:16px/1.5 system-ui,sans-serif}
main{max-width:32rem;padding:2rem;text-align:center}h1{font-size:1.4rem;color:#fff}p{color:#8b98a9}code{color:#5eead4}</style></head>
<body><main><h1>Playground is unavailable</h1><p>${UNAVAILABLE_MESSAGE}</p><p>This page retries every 10&nbsp;seconds.</p></main></body></html>`;
}

function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) return { code: (err as NodeJS.ErrnoException).code, message: err.message };
  return { message: String(err) };
}
