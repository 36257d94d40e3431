import { ENGINE_API_PORTS } from '@playground/contracts';
import type { IncomingHttpHeaders } from 'node:http';

// The rules that keep a learner's server from acting as the playground. Pure functions;
// the port proxy applies them (port-proxy.ts) and port-guard.test.ts pins them.

/**
 * The path form (/ports/<id>/<port>/…) is served on the app's own origin. This policy makes
 * every document there run in an opaque origin (no `allow-same-origin`): its scripts cannot
 * read the app's cookies or storage, call the app's API as the app, or register a service
 * worker. The page still runs scripts, forms, popups, dialogs and downloads.
 */
export const PATH_FORM_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/**
 * Response headers a learner's server never gets to send on the app's origin: cookies (set
 * for the app's host, every later request to the app would carry them), a widened service
 * worker scope, and Clear-Site-Data (which would wipe the app's own storage).
 */
const STRIPPED_RESPONSE_HEADERS = ['set-cookie', 'set-cookie2', 'service-worker-allowed', 'clear-site-data'];

/**
 * Makes an upstream response safe for the app's origin (path form); mutates `headers`. The
 * policy goes on every response, not only HTML: the browser decides what renders as a page.
 */
export function guardPathFormResponse(headers: IncomingHttpHeaders): void {
  for (const name of STRIPPED_RESPONSE_HEADERS) delete headers[name];
  // The upstream's own policy still applies next to ours: several policies all hold.
  const upstream = headers['content-security-policy'];
  headers['content-security-policy'] = upstream ? `${PATH_FORM_CSP}, ${upstream}` : PATH_FORM_CSP;
}

/**
 * The app's cookies are not the learner's: they never travel to a learner's server. (The
 * path form cannot have cookies of its own, since Set-Cookie is stripped there.)
 */
export function guardPathFormRequest(headers: IncomingHttpHeaders): void {
  delete headers.cookie;
}

/**
 * A service worker script fetched from the path form would control /ports/<id>/<port>/ on
 * the app's origin and outlive the session. Browsers send `Service-Worker: script` when
 * fetching one; such requests are refused rather than answered. Only a script already
 * running on the app's origin could register one (the sandbox above keeps learner pages
 * out), so this is the second wall, and a learner who needs a service worker has the host
 * form, an origin of its own.
 */
export function isServiceWorkerFetch(headers: IncomingHttpHeaders): boolean {
  return headers['service-worker'] !== undefined;
}

export type PortRefusal = { code: 'port_forbidden' | 'port_not_listening'; message: string };

/**
 * Whether a port of an instance may be proxied: only what the instance listens on (as its
 * node agent last reported), and never the inner engine's API, listening or not.
 */
export function portRefusal(port: number, listening: readonly number[], hostname: string): PortRefusal | null {
  if (ENGINE_API_PORTS.includes(port)) {
    return {
      code: 'port_forbidden',
      message: `Port ${port} is the Docker engine API of ${hostname}; the playground never exposes it.`,
    };
  }
  if (!listening.includes(port)) {
    return {
      code: 'port_not_listening',
      message: `Nothing listens on port ${port} of ${hostname}. Start a server on that port (on all addresses, not only 127.0.0.1) and reload in a few seconds.`,
    };
  }
  return null;
}
