import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { ENGINE_API_PORTS, instanceContainerName, LABEL, sessionNetworkName } from '@playground/contracts';
import { dialTcp, StreamOpenError, type StreamOpenRequest } from '@playground/contracts/link-streams';
import { claimRecordFromLabels, claimRecordName, POOL_LABEL } from '../instances/pool-records.ts';

// Connects a port stream (contracts/link-streams.ts) to a port of one of this node's
// instances, on this host: the orchestrator names an instance and a port, never an address,
// so a stream can only ever reach an instance this agent runs. The engine API ports are
// refused here too, whatever the orchestrator checked.

export class PortDialer {
  constructor(
    private readonly docker: Docker,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  /** The instance's address on its session network, or null when this node runs no such instance. */
  async addressOf(instanceId: string): Promise<string | null> {
    const info = await this.docker
      .getContainer(instanceContainerName(instanceId))
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return null;
        throw error;
      });
    const labels = info?.Config.Labels ?? {};
    if (!info?.State.Running || labels[LABEL.node] !== this.nodeId) return null;
    // A claimed warm pool container keeps its pool labels (labels cannot change): its claim record says which instance and session it became.
    const session = labels[POOL_LABEL.member] ? await this.claimedSession(instanceId, info.Id) : labels[LABEL.instance] === instanceId ? labels[LABEL.session] : undefined;
    return (session && info.NetworkSettings.Networks[sessionNetworkName(session)]?.IPAddress) || null;
  }

  /** The session of the instance a pool container `containerId` became, if its claim record says it became `instanceId`. */
  private async claimedSession(instanceId: string, containerId: string): Promise<string | undefined> {
    const volume = await this.docker
      .getVolume(claimRecordName(instanceId))
      .inspect()
      .catch(() => null);
    const record = volume?.Labels?.[LABEL.node] === this.nodeId ? claimRecordFromLabels(volume.Labels) : undefined;
    return record?.instanceId === instanceId && record.containerId === containerId ? record.sessionId : undefined;
  }

  readonly dial = async (request: StreamOpenRequest): Promise<Socket> => {
    const { instanceId, port, connectTimeoutMs } = request;
    if (ENGINE_API_PORTS.includes(port)) throw new StreamOpenError('port_forbidden', `port ${port} is the instance's Docker engine API`);
    const address = await this.addressOf(instanceId);
    if (!address) throw new StreamOpenError('not_found', 'this node runs no such instance');
    try {
      return await dialTcp(address, port, connectTimeoutMs);
    } catch (error) {
      this.logger.debug({ instanceId, port, err: (error as Error).message }, 'port_stream.connect_failed');
      throw error;
    }
  };
}
