import { AGENT_NAMESPACE, encodePortTunnelPath, matchPortRequest, portHostDomains } from '@playground/contracts';
import { acceptStreams, dialTcp, StreamOpenError, type StreamCarrier } from '@playground/contracts/link-streams';
import { io as connect, type Socket } from 'socket.io-client';
import type { TestOrchestrator } from './harness.ts';

// For the port tunnel's tests: what the web edge sends for a public port URL, and a node agent
// link that serves byte streams with the real stream module (contracts/link-streams.ts), its
// "instances" being servers on this host's loopback. The real agent and edge are covered by
// test/cluster/unroutable-node.test.ts and the end-to-end tests.

/** The URL the edge sends to the orchestrator for `url` on `host` (playground at localhost). */
export function asEdgeSends(host: string, url: string): string {
  const route = matchPortRequest(host, url, portHostDomains('ports.localhost', 'localhost'));
  return route ? encodePortTunnelPath(route) : url;
}

/** A node agent's link for `nodeId` whose streams connect to 127.0.0.1:<port>. */
export async function standInAgentLink(t: TestOrchestrator, nodeId: string): Promise<Socket> {
  const socket = connect(new URL(AGENT_NAMESPACE, t.baseUrl).toString(), {
    auth: { nodeId, token: t.agentToken(nodeId) },
    transports: ['websocket'],
    reconnection: false,
  });
  const streams = acceptStreams(socket as unknown as StreamCarrier, (request) =>
    'port' in request ? dialTcp('127.0.0.1', request.port, request.connectTimeoutMs) : Promise.reject(new StreamOpenError('bad_request', 'this stand-in agent makes no archives')),
  );
  socket.on('disconnect', () => streams.closeAll('link lost'));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}
