import { decodePortHost } from '@playground/contracts';

/**
 * Where the edge sends a request:
 * - `port-host`: a learner's app on <instanceId>-<port>.<ports domain>; every path (even
 *   /api/ and /socket.io/) belongs to that app, so it all goes to the orchestrator's proxy.
 * - `orchestrator`: the API, the terminal Socket.IO endpoint and the path form of port URLs.
 * - `next`: the learner's pages.
 */
export type EdgeRoute = 'port-host' | 'orchestrator' | 'next';

const ORCHESTRATOR_PREFIXES = ['/api/', '/socket.io/', '/ports/'];

export function routeRequest(hostHeader: string | undefined, url: string | undefined, portsDomain: string): EdgeRoute {
  if (decodePortHost(hostHeader, portsDomain)) return 'port-host';
  const path = url ?? '/';
  // `/api` and `/socket.io` without a trailing slash are theirs too, not a Next 404.
  if (ORCHESTRATOR_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.slice(0, -1) || path.startsWith(prefix.slice(0, -1) + '?'))) {
    return 'orchestrator';
  }
  return 'next';
}

/** True when an error for this path should be JSON (an API client) rather than a page. */
export function wantsJson(url: string | undefined): boolean {
  const path = url ?? '/';
  return path === '/api' || path.startsWith('/api/') || path.startsWith('/api?') || path.startsWith('/socket.io');
}
