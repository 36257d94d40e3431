import type { AgentToOrchestrator, OrchestratorToAgent } from '@playground/contracts';
import { io as connect, type Socket } from 'socket.io-client';

// A node agent's link as a test holds it: a Socket.IO client on /agent that answers the live
// link ping as an agent does, so a second dial of its node is refused while it is connected.

export type AgentClient = Socket<OrchestratorToAgent, AgentToOrchestrator>;

/** Links `nodeId` to the replica at `baseUrl` with its own token; resolves once connected. */
export function linkAgent(baseUrl: string, nodeId: string, token: string, timeoutMs = 5_000): Promise<AgentClient> {
  const client: AgentClient = connect(`${baseUrl}/agent`, { auth: { nodeId, token }, transports: ['websocket'], reconnection: false });
  client.on('node.ping', (reply) => reply());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`node ${nodeId} did not link within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.close();
      reject(error);
    };
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('connect_error', fail);
  });
}
