import { INSTANCE_ID_LENGTH } from './ids.ts';

// The one codec for exposed-port addresses. Host form: <instanceId>-<port>.<portsDomain>;
// path form: /ports/<instanceId>/<port>/<rest>. Pure functions, table-tested.

export interface PortTarget {
  instanceId: string;
  port: number;
}

const HOST_LABEL = new RegExp(`^([a-z2-7]{${INSTANCE_ID_LENGTH}})-([1-9][0-9]{0,4})$`);
const PATH = new RegExp(`^/ports/([a-z2-7]{${INSTANCE_ID_LENGTH}})/([1-9][0-9]{0,4})(/.*)?$`);

/**
 * Ports never proxied even when an instance listens on them: the inner Docker engine's API
 * (2375 plain, 2376 TLS). Whoever reaches it runs containers in the instance, so a port URL
 * would hand the learner's engine to anyone holding the link.
 */
export const ENGINE_API_PORTS: readonly number[] = [2375, 2376];

/**
 * Default parent domain of port hosts: `ports.<host of PUBLIC_URL>`. A learner's page then
 * lives on `<id>-<port>.ports.<host>`, never on the app's host itself or a name the app's
 * host-only cookies are sent to; `*.localhost` still resolves to loopback in browsers.
 */
export function defaultPortsDomain(publicHostname: string): string {
  return `ports.${publicHostname.toLowerCase().replace(/\.$/, '')}`;
}

/**
 * Every parent domain of port hosts, most specific first: Play with Docker's
 * `<proxy_host>-<port>.direct.<public host>` form (its clients build port links that way),
 * then ours.
 */
export function portHostDomains(portsDomain: string, publicHostname: string): string[] {
  const direct = `direct.${publicHostname.toLowerCase().replace(/\.$/, '')}`;
  return direct === portsDomain ? [portsDomain] : [direct, portsDomain.toLowerCase()];
}

/** The target of a port host under any of `domains` (see portHostDomains). */
export function decodePortHostIn(hostHeader: string | undefined, domains: readonly string[]): PortTarget | null {
  for (const domain of domains) {
    const target = decodePortHost(hostHeader, domain);
    if (target) return target;
  }
  return null;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** `hostHeader` may carry a :port suffix; `portsDomain` is compared case-insensitively. */
export function decodePortHost(hostHeader: string | undefined, portsDomain: string): PortTarget | null {
  if (!hostHeader) return null;
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const suffix = `.${portsDomain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return null;
  const match = HOST_LABEL.exec(host.slice(0, -suffix.length));
  if (!match) return null;
  const port = Number(match[2]);
  return validPort(port) ? { instanceId: match[1]!, port } : null;
}

/** Host (with the public port, if any) for a target: `abc…-8080.localhost:3000`. */
export function encodePortHost(target: PortTarget, portsDomain: string, publicPort?: number): string {
  const portSuffix = publicPort && publicPort !== 80 ? `:${publicPort}` : '';
  return `${target.instanceId}-${target.port}.${portsDomain}${portSuffix}`;
}

/** Splits `/ports/<id>/<port>/rest?q` into the target and the path to forward (`/rest?q`). */
export function decodePortPath(url: string): (PortTarget & { forwardPath: string }) | null {
  const queryAt = url.indexOf('?');
  const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  const match = PATH.exec(pathname);
  if (!match) return null;
  const port = Number(match[2]);
  if (!validPort(port)) return null;
  return { instanceId: match[1]!, port, forwardPath: (match[3] ?? '/') + query };
}

export function encodePortPath(target: PortTarget): string {
  return `/ports/${target.instanceId}/${target.port}/`;
}

/** A request for a port, as the edge decided it: which port, which URL form, what to send upstream. */
export interface PortRoute extends PortTarget {
  /** `host`: <id>-<port>.<domain>, an origin of its own. `path`: /ports/<id>/<port>/… on the app's origin (sandboxed). */
  form: 'host' | 'path';
  /** The URL to send to the instance's server (the path form's /ports/<id>/<port> removed). */
  forwardPath: string;
  /** Path form with nothing after the port: answered with a redirect to the slash form, for relative links. */
  bare: boolean;
}

/**
 * The one place a request is matched to a port (the edge calls it): host form first (every
 * path on a port host is the learner's, even /api/), then the path form.
 */
export function matchPortRequest(hostHeader: string | undefined, url: string, domains: readonly string[]): PortRoute | null {
  const byHost = decodePortHostIn(hostHeader, domains);
  if (byHost) return { ...byHost, form: 'host', forwardPath: url.startsWith('/') ? url : `/${url}`, bare: false };
  if (!url.startsWith('/ports/')) return null;
  const byPath = decodePortPath(url);
  if (!byPath) return null;
  const pathname = url.split('?')[0]!;
  return { ...byPath, form: 'path', bare: !pathname.endsWith('/') && pathname.split('/').length === 4 };
}

/**
 * The orchestrator's port tunnel: the edge sends a matched port request there, so the
 * orchestrator only checks and tunnels it and never matches hosts or paths again. The edge
 * never forwards this prefix from outside (it is not one of the orchestrator's public paths).
 */
export const PORT_TUNNEL_PREFIX = '/_port-tunnel/';

const TUNNEL_PATH = new RegExp(`^${PORT_TUNNEL_PREFIX}(host|path|path-bare)/([a-z2-7]{${INSTANCE_ID_LENGTH}})/([1-9][0-9]{0,4})(/.*)$`, 's');

export function encodePortTunnelPath(route: PortRoute): string {
  const form = route.form === 'path' && route.bare ? 'path-bare' : route.form;
  return `${PORT_TUNNEL_PREFIX}${form}/${route.instanceId}/${route.port}${route.forwardPath}`;
}

export function decodePortTunnelPath(url: string | undefined): PortRoute | null {
  const match = url ? TUNNEL_PATH.exec(url) : null;
  if (!match) return null;
  const port = Number(match[3]);
  if (!validPort(port)) return null;
  return { instanceId: match[2]!, port, form: match[1] === 'host' ? 'host' : 'path', bare: match[1] === 'path-bare', forwardPath: match[4]! };
}
