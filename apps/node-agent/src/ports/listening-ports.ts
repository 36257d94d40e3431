// Parses /proc/net/tcp and /proc/net/tcp6: the TCP sockets of one network namespace.
// A row's local address is hex `ADDR:PORT`; IPv4 addresses are one little-endian 32-bit word,
// IPv6 four of them. State 0A is LISTEN.

const LISTEN = '0A';

function isLoopback(hexAddr: string): boolean {
  if (hexAddr.length === 8) return hexAddr.slice(6, 8).toUpperCase() === '7F'; // 127.0.0.0/8
  if (hexAddr.length === 32) {
    const a = hexAddr.toUpperCase();
    if (a === '00000000000000000000000001000000') return true; // ::1
    // ::ffff:127.x.y.z (IPv4-mapped loopback)
    if (a.startsWith('0000000000000000FFFF0000') && a.slice(30, 32) === '7F') return true;
  }
  return false;
}

/** Ports with a LISTEN socket reachable from outside the namespace (not loopback only), sorted. */
export function parseListeningPorts(procNetTcp: string): number[] {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !fields[0]!.endsWith(':')) continue; // header or blank
    const local = fields[1]!;
    if (fields[3] !== LISTEN) continue;
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    if (isLoopback(local.slice(0, colon))) continue;
    const port = parseInt(local.slice(colon + 1), 16);
    if (port > 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
