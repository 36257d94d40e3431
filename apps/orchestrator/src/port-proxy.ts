import { decodePortHostIn, decodePortPath, ErrorBody, type PortTarget } from '@playground/contracts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Db } from './db.ts';
import type { Logger } from './logger.ts';
import { guardPathFormRequest, guardPathFormResponse, isServiceWorkerFetch, PATH_FORM_CSP, portRefusal } from './port-guard.ts';

// Public URLs of instance ports, host form (<id>-<port>.<PORTS_DOMAIN>, or Play with Docker's
// <id>-<port>.direct.<public host>) and path form
// (/ports/<id>/<port>/…), HTTP and WebSocket. Lookups are cached briefly: a page load
// fans out into many requests for the same instance. Only ports the instance listens on
// pass, never its engine's API; the path form runs on the app's origin, so its responses
// are sandboxed and stripped of cookies (port-guard.ts).

export interface PortRoute extends PortTarget {
  /** Path form only: the URL to send upstream, with /ports/<id>/<port> removed. */
  forwardPath?: string;
  /** Path form without anything after the port: redirect to the slash form for relative links. */
  bare?: boolean;
}

interface Upstream {
  ip: string;
  hostname: string;
  /** Listening ports as last reported by the instance's node agent. */
  ports: number[];
}

const HIT_TTL_MS = 2_000;
const MISS_TTL_MS = 500;

/** Bounds on what one instance's ports may hold open here; a learner's server cannot pin the orchestrator. */
export interface PortProxyLimits {
  /** HTTP requests in flight plus open WebSockets, per instance. */
  maxConnectionsPerInstance: number;
  /** Time for the instance to accept the TCP connection. */
  connectTimeoutMs: number;
  /** Time an HTTP exchange may stay silent upstream (waiting for headers or between body bytes). */
  idleTimeoutMs: number;
}

/** Set on the error an idle upstream is cut with, so the answer can be a 504 that says so. */
const IDLE_TIMEOUT = 'EUPSTREAM_IDLE';

export class PortProxy {
  private readonly proxy;
  private readonly cache = new Map<string, { upstream: Upstream | null; until: number }>();
  private readonly open = new Map<string, number>();
  /** Requests of the path form in flight, whose upstream answers get the path-form guard. */
  private readonly pathForm = new WeakSet<IncomingMessage>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    /** Parent domains of port hosts (portHostDomains: ours and Play with Docker's direct form). */
    private readonly portHostDomains: readonly string[],
    private readonly limits: PortProxyLimits,
  ) {
    this.proxy = createProxyServer({ xfwd: true, ws: true, connectTimeout: limits.connectTimeoutMs });
    // Without a listener an upstream error would be thrown; callers pass their own callbacks.
    this.proxy.on('error', () => undefined);
    this.proxy.on('proxyReq', (proxyReq) => {
      proxyReq.setTimeout(limits.idleTimeoutMs, () =>
        proxyReq.destroy(Object.assign(new Error('upstream idle'), { code: IDLE_TIMEOUT })),
      );
    });
    // Runs before http-proxy copies the upstream's headers to the browser's response.
    this.proxy.on('proxyRes', (proxyRes, req) => {
      if (this.pathForm.has(req)) guardPathFormResponse(proxyRes.headers);
    });
    // A WebSocket handshake answer can set cookies too; this listener runs before the one
    // that writes the 101 to the browser (both are on the same request, ours first).
    this.proxy.on('proxyReqWs', (proxyReq, req) => {
      if (this.pathForm.has(req)) proxyReq.on('upgrade', (proxyRes) => guardPathFormResponse(proxyRes.headers));
    });
  }

  /** Counts one connection to an instance until `done` fires; false (nothing counted) when it is full. */
  private admit(instanceId: string, done: (release: () => void) => void): boolean {
    const count = this.open.get(instanceId) ?? 0;
    if (count >= this.limits.maxConnectionsPerInstance) return false;
    this.open.set(instanceId, count + 1);
    let released = false;
    done(() => {
      if (released) return;
      released = true;
      const left = (this.open.get(instanceId) ?? 1) - 1;
      if (left <= 0) this.open.delete(instanceId);
      else this.open.set(instanceId, left);
    });
    return true;
  }

  private tooManyMessage(hostname: string): string {
    return `${hostname} already has ${this.limits.maxConnectionsPerInstance} open connections through the playground, the most allowed per instance. Try again when some have finished.`;
  }

  /** The port a request is for, or null when it is for the orchestrator itself. Host form wins. */
  match(req: IncomingMessage): PortRoute | null {
    const byHost = decodePortHostIn(req.headers.host, this.portHostDomains);
    if (byHost) return byHost;
    const url = req.url ?? '/';
    if (!url.startsWith('/ports/')) return null;
    const byPath = decodePortPath(url);
    if (!byPath) return null;
    const pathname = url.split('?')[0]!;
    return { ...byPath, bare: !pathname.endsWith('/') && pathname.split('/').length === 4 };
  }

  async web(req: IncomingMessage, res: ServerResponse, route: PortRoute): Promise<void> {
    if (route.forwardPath !== undefined) {
      // Our own answers on the path form (errors, redirects) are sandboxed like the learner's.
      res.setHeader('content-security-policy', PATH_FORM_CSP);
      if (isServiceWorkerFetch(req.headers)) {
        this.logger.info({ instanceId: route.instanceId, port: route.port }, 'port_proxy.service_worker_refused');
        return this.sendPage(req, res, 403, 'service_worker_refused', 'Service workers cannot be served from /ports/ on the playground\'s own address; use the port\'s own host URL.');
      }
    }
    const upstream = await this.lookup(route.instanceId).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'port_proxy.lookup_failed');
      return null;
    });
    if (!upstream) return this.sendPage(req, res, 404, 'not_found', 'No running instance has this address.');
    const refusal = portRefusal(route.port, upstream.ports, upstream.hostname);
    if (refusal) return this.sendPage(req, res, 404, refusal.code, refusal.message);
    if (route.bare && (req.method === 'GET' || req.method === 'HEAD')) {
      const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      res.writeHead(308, { location: `/ports/${route.instanceId}/${route.port}/${query}` }).end();
      return;
    }
    const admitted = this.admit(route.instanceId, (release) => res.once('close', release));
    if (!admitted) {
      this.logger.info({ instanceId: route.instanceId, port: route.port }, 'port_proxy.connections_full');
      res.setHeader('retry-after', '5');
      return this.sendPage(req, res, 429, 'rate_limited', this.tooManyMessage(upstream.hostname));
    }
    if (route.forwardPath !== undefined) this.markPathForm(req, route.forwardPath);
    this.proxy.web(req, res, { target: `http://${upstream.ip}:${route.port}` }, (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      this.logger.debug({ err: (error as Error).message, code, instanceId: route.instanceId, port: route.port }, 'port_proxy.upstream_error');
      if (res.headersSent) return void res.destroy();
      const where = `port ${route.port} of ${upstream.hostname}`;
      if (code === 'ECONNECT_TIMEOUT') {
        return this.sendPage(req, res, 504, 'timeout', `${where} did not accept the connection within ${seconds(this.limits.connectTimeoutMs)}.`);
      }
      if (code === IDLE_TIMEOUT) {
        return this.sendPage(req, res, 504, 'timeout', `The server on ${where} did not answer within ${seconds(this.limits.idleTimeoutMs)}.`);
      }
      this.sendPage(req, res, 502, 'instance_failed', `Nothing is answering on ${where} yet. Start a server on that port and reload.`);
    });
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: PortRoute): Promise<void> {
    const upstream = await this.lookup(route.instanceId).catch(() => null);
    if (!upstream || portRefusal(route.port, upstream.ports, upstream.hostname)) {
      return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    if (!this.admit(route.instanceId, (release) => socket.once('close', release))) {
      const body = JSON.stringify({ error: { code: 'rate_limited', message: this.tooManyMessage(upstream.hostname) } });
      return void socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    if (route.forwardPath !== undefined) this.markPathForm(req, route.forwardPath);
    this.proxy.ws(req, socket, head, { target: `http://${upstream.ip}:${route.port}` }, (error) => {
      const status = (error as NodeJS.ErrnoException).code === 'ECONNECT_TIMEOUT' ? '504 Gateway Timeout' : '502 Bad Gateway';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
  }

  private markPathForm(req: IncomingMessage, forwardPath: string): void {
    req.url = forwardPath;
    guardPathFormRequest(req.headers);
    this.pathForm.add(req);
  }

  private async lookup(instanceId: string): Promise<Upstream | null> {
    const now = Date.now();
    const cached = this.cache.get(instanceId);
    if (cached && cached.until > now) return cached.upstream;
    const instance = await this.db.instance.findUnique({
      where: { id: instanceId },
      select: { ip: true, hostname: true, status: true, ports: true, session: { select: { status: true } } },
    });
    const upstream =
      instance && instance.status === 'running' && instance.ip && instance.session.status === 'active'
        ? { ip: instance.ip, hostname: instance.hostname, ports: instance.ports }
        : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(instanceId, { upstream, until: now + (upstream ? HIT_TTL_MS : MISS_TTL_MS) });
    return upstream;
  }

  private sendPage(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
    if ((req.headers.accept ?? '').includes('text/html')) {
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>Playground</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${PAGE_TITLES[status] ?? 'Nothing here yet'}</h1><p>${escapeHtml(message)}</p></body></html>`;
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
      return;
    }
    const body: ErrorBody = { error: { code, message } };
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  close(): void {
    this.proxy.close();
  }
}

const PAGE_TITLES: Record<number, string> = { 403: 'Refused', 404: 'Not found', 429: 'Too many connections', 504: 'No answer in time' };

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
