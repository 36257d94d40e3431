import { ENGINE_API_PORTS, type InstanceUsage, type InstanceView, type SessionView } from '@playground/contracts';
import type { Instance, Session } from './generated/prisma/client.ts';
import type { PortUrls } from './port-urls.ts';

/** Record → public view. Only these functions decide what the API shows. */
/** `usage`: the instance's live figures (instance-usage.ts), where a view shows them. */
export function instanceView(instance: Instance, urls: PortUrls, usage: InstanceUsage | null = null): InstanceView {
  return {
    id: instance.id,
    hostname: instance.hostname,
    ip: instance.ip,
    status: instance.status,
    createdAt: instance.createdAt.toISOString(),
    // The engine's API port is stored as reported but never offered: the proxy refuses it.
    ports: instance.ports
      .filter((port) => !ENGINE_API_PORTS.includes(port))
      .sort((a, b) => a - b)
      .map((port) => urls.port(instance.id, port)),
    portUrlTemplate: urls.template(instance.id),
    ssh: urls.ssh(instance.id),
    // `error` holds what the learner is told: a warning while the instance runs, why it ended after.
    warning: instance.status === 'running' ? instance.error : null,
    reason: instanceReason(instance),
    usage: instance.status === 'running' ? usage : null,
  };
}

/** Why an instance that is not running ended or failed, in words for the learner. */
function instanceReason(instance: Instance): string | null {
  switch (instance.status) {
    case 'creating':
    case 'running':
      return null;
    case 'deleting':
    case 'deleted':
      return 'deleted';
    case 'failed':
      return instance.error ?? 'failed to start';
    case 'lost':
      return instance.error ?? 'its node stopped responding';
  }
}

export function sessionView(
  session: Session,
  instances: Instance[],
  maxInstances: number,
  urls: PortUrls,
  usage: ReadonlyMap<string, InstanceUsage> = new Map(),
): SessionView {
  return {
    id: session.id,
    status: session.status,
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    limits: { maxInstances },
    instances: instances.map((instance) => instanceView(instance, urls, usage.get(instance.id) ?? null)),
  };
}
