import { ErrorBody, type PortRoute } from '@playground/contracts';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Db } from './db.ts';
import type { NodeStreams } from './gateway/node-streams.ts';
import type { Logger } from './logger.ts';
import { guardPathFormRequest, guardPathFormResponse, isServiceWorkerFetch, PATH_FORM_CSP, portRefusal } from './port-guard.ts';

// The port tunnel: requests for instance ports, HTTP and WebSocket, as the web edge matched
// them (contracts: matchPortRequest; it sends them here under /_port-tunnel/, and this side
// never matches hosts or paths itself). Each request travels to the instance over its node
// agent's own link as a byte stream (gateway/node-streams.ts): the agent connects to the port
// on its host, so this process needs no route to any node's instances. Lookups are cached
// briefly: a page load fans out into many requests for the same instance. Only ports the
// instance listens on pass, never its engine's API; the path form runs on the app's origin,
// so its responses are sandboxed and stripped of cookies (port-guard.ts).

interface Upstream {
  nodeId: string;
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

/**
 * An http.Agent whose one connection is a byte stream over a node's link instead of a TCP
 * socket: http-proxy then speaks HTTP (and WebSocket upgrades) over it unchanged.
 */
class StreamAgent extends Agent {
  constructor(private readonly openStream: () => Promise<Duplex>) {
    super({ keepAlive: false });
  }

  // Node's Agent takes the socket from this callback when nothing is returned.
  override createConnection(_options: unknown, callback: (error: Error | null, stream?: Duplex) => void): undefined {
    this.openStream().then(
      (stream) => callback(null, stream),
      (error: Error) => callback(error),
    );
    return undefined;
  }
}

export class PortProxy {
  private readonly proxy;
  private readonly cache = new Map<string, { upstream: Upstream | null; until: number }>();
  private readonly open = new Map<string, number>();
  /** Requests of the path form in flight, whose upstream answers get the path-form guard. */
  private readonly pathForm = new WeakSet<IncomingMessage>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly streams: NodeStreams,
    private readonly limits: PortProxyLimits,
  ) {
    // No connectTimeout here: the node times the connection (StreamAgent, connect_timeout).
    this.proxy = createProxyServer({ xfwd: true, ws: true });
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

  async web(req: IncomingMessage, res: ServerResponse, route: PortRoute): Promise<void> {
    if (route.form === 'path') {
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
    this.prepareUpstreamRequest(req, route);
    this.proxy.web(req, res, this.upstreamOptions(upstream, route), (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      this.logger.debug({ err: (error as Error).message, code, instanceId: route.instanceId, port: route.port }, 'port_proxy.upstream_error');
      if (res.headersSent) return void res.destroy();
      const where = `port ${route.port} of ${upstream.hostname}`;
      if (code === 'connect_timeout') {
        return this.sendPage(req, res, 504, 'timeout', `${where} did not accept the connection within ${seconds(this.limits.connectTimeoutMs)}.`);
      }
      if (code === IDLE_TIMEOUT) {
        return this.sendPage(req, res, 504, 'timeout', `The server on ${where} did not answer within ${seconds(this.limits.idleTimeoutMs)}.`);
      }
      if (code === 'not_connected' || code === 'too_many_streams') {
        res.setHeader('retry-after', '5');
        return this.sendPage(req, res, 503, 'unavailable', `The machine running ${upstream.hostname} cannot be reached right now. Try again in a moment.`);
      }
      this.sendPage(req, res, 502, 'instance_failed', `Nothing is answering on ${where} yet. Start a server on that port and reload.`);
    });
  }

  /** The target is nominal (the Host header is the browser's); the agent makes the one connection. */
  private upstreamOptions(upstream: Upstream, route: PortRoute) {
    const agent = new StreamAgent(() =>
      this.streams.open({ nodeId: upstream.nodeId, instanceId: route.instanceId, port: route.port, connectTimeoutMs: this.limits.connectTimeoutMs }),
    );
    return { target: `http://${route.instanceId}:${route.port}`, agent };
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
    this.prepareUpstreamRequest(req, route);
    this.proxy.ws(req, socket, head, this.upstreamOptions(upstream, route), (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      const status =
        code === 'connect_timeout' ? '504 Gateway Timeout' : code === 'not_connected' || code === 'too_many_streams' ? '503 Service Unavailable' : '502 Bad Gateway';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
  }

  /** The instance's server sees the URL the browser meant, without the tunnel's prefix. */
  private prepareUpstreamRequest(req: IncomingMessage, route: PortRoute): void {
    req.url = route.forwardPath;
    if (route.form !== 'path') return;
    guardPathFormRequest(req.headers);
    this.pathForm.add(req);
  }

  private async lookup(instanceId: string): Promise<Upstream | null> {
    const now = Date.now();
    const cached = this.cache.get(instanceId);
    if (cached && cached.until > now) return cached.upstream;
    const instance = await this.db.instance.findUnique({
      where: { id: instanceId },
      select: { nodeId: true, hostname: true, status: true, ports: true, session: { select: { status: true } } },
    });
    const upstream =
      instance && instance.status === 'running' && instance.session.status === 'active'
        ? { nodeId: instance.nodeId, hostname: instance.hostname, ports: instance.ports }
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

const PAGE_TITLES: Record<number, string> = { 403: 'Refused', 404: 'Not found', 429: 'Too many connections', 503: 'Unreachable right now', 504: 'No answer in time' };

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
