import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a login or a forward was refused, as counted. */
export type SshRefusal = 'unknown_instance' | 'connection_limit' | 'lookup_failed' | 'forward_destination';

/** The SSH gateway's counts, in the orchestrator's registry (GET /metrics). */
export class SshMetrics {
  readonly refusals: Counter<'reason'>;
  readonly logins: Counter;

  constructor(registry: Registry, openConnections: () => number) {
    const registers = [registry];
    this.refusals = new Counter({ name: 'playground_ssh_refusals_total', help: 'SSH logins and forwards refused, by reason.', labelNames: ['reason'], registers });
    this.logins = new Counter({ name: 'playground_ssh_logins_total', help: 'SSH logins accepted (user name = a running instance id).', registers });
    new Gauge({
      name: 'playground_ssh_connections',
      help: 'SSH connections open through this orchestrator process.',
      registers,
      collect() {
        this.set(openConnections());
      },
    });
  }
}
