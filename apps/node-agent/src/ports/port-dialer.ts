import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { ENGINE_API_PORTS, sessionNetworkName } from '@playground/contracts';
import type { ManagedInstance } from '../instances/instance-provisioner.ts';
import { dialTcp, StreamOpenError, type PortStreamOpen } from '@playground/contracts/link-streams';

// Connects a port stream (contracts/link-streams.ts) to a port of one of this node's
// instances, on this host: the orchestrator names an instance and a port, never an address,
// so a stream can only ever reach an instance this agent runs. The engine API ports are
// refused here too, whatever the orchestrator checked.

/** How long a found address is reused: a page load opens many streams to one instance. */
const ADDRESS_TTL_MS = 3_000;

export class PortDialer {
  private readonly addresses = new Map<string, { address: string; until: number }>();

  constructor(
    private readonly docker: Docker,
    /** This node's instances as the provisioner knows them (a claimed warm-pool member is one too). */
    private readonly listInstances: () => Promise<ManagedInstance[]>,
    private readonly logger: Logger,
  ) {}

  /** The instance's address on its session network, or null when this node runs no such instance. */
  async addressOf(instanceId: string): Promise<string | null> {
    const cached = this.addresses.get(instanceId);
    if (cached && cached.until > Date.now()) return cached.address;
    const instance = (await this.listInstances()).find((candidate) => candidate.instanceId === instanceId && candidate.running);
    if (!instance) return null;
    const info = await this.docker.getContainer(instance.containerId).inspect();
    const address = info.NetworkSettings.Networks[sessionNetworkName(instance.sessionId)]?.IPAddress;
    if (!address) return null;
    if (this.addresses.size > 1_000) this.addresses.clear();
    this.addresses.set(instanceId, { address, until: Date.now() + ADDRESS_TTL_MS });
    return address;
  }

  readonly dial = async (request: PortStreamOpen): Promise<Socket> => {
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
