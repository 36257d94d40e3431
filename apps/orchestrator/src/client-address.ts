import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

// The address a session is counted against. X-Forwarded-For is believed only when the
// direct peer is a proxy we trust (loopback: the web app on this host, or TRUSTED_PROXY),
// and then read from the right, skipping trusted hops, because a client may send its own
// X-Forwarded-For and a proxy appends to it. TRUSTED_PROXY entries are addresses or ranges
// (`10.244.0.0/16`): web edges in Kubernetes pods have no fixed address, only the pod range.

/** Why a TRUSTED_PROXY entry is not an address or a range, or undefined when it is one. */
export function trustedProxyProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or a range such as 10.244.0.0/16`;
  if (bits === undefined) return undefined;
  const prefix = Number(bits);
  if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return `"${entry}" has no valid prefix length`;
  return undefined;
}

function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

export function createClientAddressResolver(trustedProxies: readonly string[]) {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, bits] = normalize(entry).split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(bits), family);
  }
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return isLoopback(address) || (family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4'));
  };

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
