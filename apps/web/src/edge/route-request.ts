import { encodePortTunnelPath, matchPortRequest } from '@playground/contracts';

/**
 * Where the edge sends a request. This is the one place port traffic is recognised:
 * - `port`: a learner's app, by host (<instanceId>-<port>.<ports domain>, or Play with
 *   Docker's <instanceId>-<port>.direct.<public host>; every path, even /api/ and
 *   /socket.io/, belongs to that app) or by path (/ports/<instanceId>/<port>/…). It goes to
 *   the orchestrator's port tunnel as `tunnelPath`, which carries the decision (the port,
 *   the URL form, the path to forward); the orchestrator does not match it again.
 * - `orchestrator`: the API, the terminal Socket.IO endpoint, and Play with Docker's API
 *   (`POST /` to start a session, `/sessions/…`, its preflights).
 * - `next`: the learner's pages.
 */
export type EdgeRoute = { to: 'port'; tunnelPath: string } | { to: 'orchestrator' } | { to: 'next' };

// `/ports/` that is not a port URL still goes to the orchestrator, which answers a JSON 404.
const ORCHESTRATOR_PREFIXES = ['/api/', '/socket.io/', '/ports/', '/sessions/'];

export function routeRequest(
  request: { host: string | undefined; url: string | undefined; method: string | undefined },
  portHostDomains: readonly string[],
): EdgeRoute {
  const path = request.url ?? '/';
  const port = matchPortRequest(request.host, path, portHostDomains);
  if (port) return { to: 'port', tunnelPath: encodePortTunnelPath(port) };
  // `/api` and `/socket.io` without a trailing slash are theirs too, not a Next 404.
  if (ORCHESTRATOR_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.slice(0, -1) || path.startsWith(prefix.slice(0, -1) + '?'))) {
    return { to: 'orchestrator' };
  }
  // The root page is Next's; posting to it starts a Play with Docker session.
  if ((path === '/' || path.startsWith('/?')) && (request.method === 'POST' || request.method === 'OPTIONS')) return { to: 'orchestrator' };
  return { to: 'next' };
}

/** True when an error for this path should be JSON (an API client) rather than a page. */
export function wantsJson(url: string | undefined): boolean {
  const path = url ?? '/';
  return path === '/api' || path.startsWith('/api/') || path.startsWith('/api?') || path.startsWith('/socket.io') || path.startsWith('/sessions/');
}
