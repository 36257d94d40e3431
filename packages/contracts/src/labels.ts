// Labels on every container, network and volume an agent makes, so that a restarted
// agent can find what it made and adopt or remove it.

export const LABEL = {
  managed: 'playground.managed',
  node: 'playground.node',
  session: 'playground.session',
  instance: 'playground.instance',
  hostname: 'playground.hostname',
} as const;

export function sessionNetworkName(sessionId: string): string {
  return `playground-${sessionId}`;
}

export function instanceContainerName(instanceId: string): string {
  return `playground-${instanceId}`;
}

export function instanceVolumeName(instanceId: string): string {
  return `playground-${instanceId}-docker`;
}
