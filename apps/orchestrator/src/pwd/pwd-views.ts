import type { PwdInstance, PwdSession } from '@playground/contracts';
import type { Instance, Session } from '../generated/prisma/client.ts';

// Our records in Play with Docker's shapes. An instance's PWD `name` (what every later call
// and WebSocket event names it by) and its `proxy_host` (the first label of its port hosts,
// `<proxy_host>-<port>.direct.<host>`) are both its instance id, so a PWD client's port links
// land on our port proxy unchanged.

/** What PWD calls the instance's image; every instance here runs the node's instance image. */
export const PWD_IMAGE_NAME = 'playground/instance';

/** The instances a PWD client sees: running ones (their address is known). */
export function pwdVisible(instance: Pick<Instance, 'status' | 'ip'>): boolean {
  return instance.status === 'running' && Boolean(instance.ip);
}

export function pwdInstance(instance: Instance, publicHost: string): PwdInstance {
  return {
    name: instance.id,
    hostname: instance.hostname,
    ip: instance.ip ?? '',
    routable_ip: instance.ip ?? '',
    proxy_host: instance.id,
    session_id: instance.sessionId,
    session_host: publicHost,
    image: PWD_IMAGE_NAME,
    type: 'linux',
    tls: false,
  };
}

export function pwdSession(session: Session, instances: Instance[], publicHost: string): PwdSession {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    pwd_ip_address: publicHost,
    ready: true,
    stack: '',
    stack_name: '',
    image_name: PWD_IMAGE_NAME,
    host: publicHost,
    user_id: '',
    playground_id: '',
    instances: Object.fromEntries(instances.filter(pwdVisible).map((instance) => [instance.id, pwdInstance(instance, publicHost)])),
  };
}

/**
 * PWD's `session-duration` (a Go duration such as `90m`, `1h30m`, `4h`) in whole minutes;
 * undefined when absent or unreadable (the session then lives its full time).
 */
export function sessionDurationMinutes(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,7})s)?$/.exec(text.trim());
  if (!match || !text.trim()) return undefined;
  const minutes = Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) + Math.ceil(Number(match[3] ?? 0) / 60);
  return minutes > 0 ? minutes : undefined;
}
