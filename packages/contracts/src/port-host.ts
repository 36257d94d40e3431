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
