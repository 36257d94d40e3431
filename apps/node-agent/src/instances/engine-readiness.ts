import http from 'node:http';
import { access, lstat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { execCollect } from './exec-collect.ts';

// Decides when an instance's inner Docker engine answers. Preferred: GET /_ping on the inner
// engine's socket reached through /proc/<pid>/root (the agent runs as root on the host): no
// process is started in the instance. Fallback where the host's /proc is not visible (agent
// in a container) or the socket is not found: `docker version` run inside the instance.
//
// Beware: an absolute symlink met under /proc/<pid>/root (Debian's /var/run -> /run) resolves
// against the AGENT's root, i.e. to the host's own Docker socket. So the socket path is
// walked component by component and any symlink disqualifies it.

export type ReadinessProbe = 'auto' | 'proc' | 'exec';

/** Where dockerd puts its socket by default, relative to the container's root. */
const SOCKET_CANDIDATES = [['run', 'docker.sock'], ['var', 'run', 'docker.sock']];

function pingUnixSocket(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function procVisible(pid: number): Promise<boolean> {
  try {
    await access(`/proc/${pid}/root/`);
    return true;
  } catch {
    return false;
  }
}

/** The inner engine's socket under /proc/<pid>/root, reached without following any symlink. */
export async function innerSocketPath(pid: number): Promise<string | undefined> {
  next: for (const parts of SOCKET_CANDIDATES) {
    let path = `/proc/${pid}/root`;
    for (const [i, part] of parts.entries()) {
      path += `/${part}`;
      try {
        const st = await lstat(path);
        const last = i === parts.length - 1;
        if (st.isSymbolicLink() || (last ? !st.isSocket() : !st.isDirectory())) continue next;
      } catch {
        continue next;
      }
    }
    return path;
  }
  return undefined;
}

async function execProbe(container: Docker.Container): Promise<boolean> {
  const result = await execCollect(container, ['docker', 'version', '--format', '{{.Server.Version}}'], 5000);
  return result.exitCode === 0 && result.stdout.trim().length > 0;
}

/**
 * One probe: true once the inner engine answers. In `auto` mode a socket that cannot be
 * found through /proc is not-yet-ready, unless `execIfNoSocket` (the caller has waited a
 * while: the image may keep its socket elsewhere), then `docker version` decides.
 */
export async function engineAnswers(
  container: Docker.Container,
  pid: number,
  probe: ReadinessProbe,
  execIfNoSocket = false,
): Promise<boolean> {
  if (probe === 'exec' || pid <= 0 || (probe === 'auto' && !(await procVisible(pid)))) return execProbe(container);
  const socket = await innerSocketPath(pid);
  if (socket) return pingUnixSocket(socket, 1000);
  return probe === 'auto' && execIfNoSocket ? execProbe(container) : false;
}
