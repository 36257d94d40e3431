import type { IncomingMessage } from 'node:http';

// The address a session is counted against. X-Forwarded-For is believed only when the
// direct peer is a proxy we trust (loopback: the web app on this host, or TRUSTED_PROXY),
// and then read from the right, skipping trusted hops, because a client may send its own
// X-Forwarded-For and a proxy appends to it.

function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

export function createClientAddressResolver(trustedProxies: readonly string[]) {
  const trusted = new Set(trustedProxies.map(normalize));
  const isTrusted = (address: string) => isLoopback(address) || trusted.has(address);

  return function clientAddress(req: IncomingMessage): string {
    const peer = normalize(req.socket.remoteAddress ?? 'unknown');
    if (!isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map(normalize)
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isTrusted(hops[i]!)) return hops[i]!;
    }
    return hops[0] ?? peer;
  };
}
