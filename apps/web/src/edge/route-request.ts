import { decodePortHostIn } from '@playground/contracts';

/**
 * Where the edge sends a request:
 * - `port-host`: a learner's app on <instanceId>-<port>.<ports domain> (or Play with Docker's
 *   <instanceId>-<port>.direct.<public host>); every path (even /api/ and /socket.io/)
 *   belongs to that app, so it all goes to the orchestrator's port proxy.
 * - `orchestrator`: the API, the terminal Socket.IO endpoint, the path form of port URLs, and
 *   Play with Docker's API (`POST /` to start a session, `/sessions/…`, its preflights).
 * - `next`: the learner's pages.
 */
export type EdgeRoute = 'port-host' | 'orchestrator' | 'next';

const ORCHESTRATOR_PREFIXES = ['/api/', '/socket.io/', '/ports/', '/sessions/'];

export function routeRequest(
  request: { host: string | undefined; url: string | undefined; method: string | undefined },
  portHostDomains: readonly string[],
): EdgeRoute {
  if (decodePortHostIn(request.host, portHostDomains)) return 'port-host';
  const path = request.url ?? '/';
  // `/api` and `/socket.io` without a trailing slash are theirs too, not a Next 404.
  if (ORCHESTRATOR_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.slice(0, -1) || path.startsWith(prefix.slice(0, -1) + '?'))) {
    return 'orchestrator';
  }
  // The root page is Next's; posting to it starts a Play with Docker session.
  if ((path === '/' || path.startsWith('/?')) && (request.method === 'POST' || request.method === 'OPTIONS')) return 'orchestrator';
  return 'next';
}

/** True when an error for this path should be JSON (an API client) rather than a page. */
export function wantsJson(url: string | undefined): boolean {
  const path = url ?? '/';
  return path === '/api' || path.startsWith('/api/') || path.startsWith('/api?') || path.startsWith('/socket.io') || path.startsWith('/sessions/');
}
