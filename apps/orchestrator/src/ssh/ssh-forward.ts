import { ENGINE_API_PORTS } from '@playground/contracts';
import type { Duplex } from 'node:stream';
import type { ServerChannel, TcpipRequestInfo } from 'ssh2';

// `ssh -L local:host:port`: the client asks the gateway to open a TCP connection (a
// direct-tcpip channel). The gateway opens it only to the instance the connection logged in
// to, never elsewhere (the orchestrator's own network, other instances, the internet), and
// never to the instance's inner engine API, which the playground does not expose at all.

/** The instance an SSH connection belongs to, as forwarding needs it. */
export interface ForwardInstance {
  id: string;
  hostname: string;
  ip: string;
}

/** Names under which a learner may mean "the instance itself" in `-L port:NAME:port`. */
const SELF_NAMES = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0']);

/** Why forwarding to `host:port` is refused, or null when it goes to the instance's address. */
export function forwardRefusal(host: string, port: number, instance: ForwardInstance): string | null {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  const self = SELF_NAMES.has(name) || name === instance.ip || name === instance.hostname || name === instance.id;
  if (!self) return `Forwarding reaches only ${instance.hostname} itself (use localhost), not ${host}.`;
  if (ENGINE_API_PORTS.includes(port)) return `Port ${port} is the Docker engine API of ${instance.hostname}; the playground never exposes it.`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `${port} is not a TCP port.`;
  return null;
}

/**
 * Connects to the instance (over its node's link: `connect` opens a byte stream to a port of
 * it), then accepts the channel and joins the two; a connection that fails (nothing
 * listening, timeout, node unreachable) rejects the channel, which the client reports as
 * "open failed". `touch` is called on traffic either way, for the connection's idle limit;
 * `track` is given the connection once it is open, so the gateway can close it.
 */
export function openForward(
  info: TcpipRequestInfo,
  instance: ForwardInstance,
  connect: (port: number) => Promise<Duplex>,
  channel: { accept: () => ServerChannel; reject: () => void },
  touch: () => void,
  track: (connection: Duplex) => void,
): { refusal: string | null } {
  const refusal = forwardRefusal(info.destIP, info.destPort, instance);
  if (refusal) {
    channel.reject();
    return { refusal };
  }
  connect(info.destPort).then(
    (socket) => {
      track(socket);
      const stream = channel.accept();
      socket.on('data', touch);
      stream.on('data', touch);
      socket.pipe(stream).pipe(socket);
      socket.on('error', () => stream.destroy());
      stream.on('error', () => socket.destroy());
      stream.on('close', () => socket.destroy());
      socket.on('close', () => stream.end());
    },
    () => channel.reject(),
  );
  return { refusal: null };
}
