import { access, readFile, writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { instanceContainerName, sessionNetworkName, type CreateInstanceJob } from '@playground/contracts';
import { InstanceFailedError } from '../errors.ts';
import { execCollect } from './exec-collect.ts';

// Turns a started, idle pool container into the instance a job asked for. Every step is
// idempotent, so a claim cut short (agent crash) is finished by the retried job.
//
// For speed the independent steps run at once: leaving the pool network, joining the session
// network (alias = hostname), renaming, applying the job's limits, and one exec that sets the
// hostname and the registry mirror (the session network's gateway is read from its IPAM
// record, so the exec need not wait for the move). /etc/hosts comes last, because Docker
// edits it on every network join and leave.

/**
 * Runs inside the instance as root. $1 = new hostname, $2 = the session network's gateway
 * (empty: take the default route's). Sets the UTS hostname (what `hostname` and the prompt
 * show) and /etc/hostname (a bind mount: rewritten in place, never replaced), then points the
 * inner engine's registry mirror at the gateway, as playground-init does at start, and
 * reloads it (registry-mirrors and insecure-registries are reloadable on SIGHUP). Honours
 * PLAYGROUND_MIRROR=off and PLAYGROUND_MIRROR_URL like playground-init.
 */
const SETUP_SCRIPT = String.raw`
set -eu
hostname "$1"
printf '%s\n' "$1" >/etc/hostname
if [ "${'$'}{PLAYGROUND_MIRROR:-on}" != off ] && [ -z "${'$'}{PLAYGROUND_MIRROR_URL:-}" ]; then
  gw=$2
  [ -n "$gw" ] || gw=$(ip -4 route show default | awk '{ print $3; exit }')
  if [ -n "$gw" ]; then
    hp="$gw:${'$'}{MIRROR_PORT:-5000}"
    was=$(jq -r '.["registry-mirrors"][0] // ""' /etc/docker/daemon.json)
    was=${'$'}{was#*://}; was=${'$'}{was%%/*}
    jq --arg m "http://$hp" --arg h "$hp" --arg was "$was" \
      '.["registry-mirrors"] = [$m] | .["insecure-registries"] = ((.["insecure-registries"] // []) - [$was] + [$h] | unique)' \
      /etc/docker/daemon.json >/etc/docker/daemon.json.claim
    mv /etc/docker/daemon.json.claim /etc/docker/daemon.json
    kill -HUP "$(cat /var/run/docker.pid)"
  fi
fi
echo claimed
`;

/**
 * The fast path when the agent already knows the inner engine's daemon.json (read while the
 * member waited): no jq, only the hostname tool and shell built-ins. $1 = hostname, $2 = the
 * new daemon.json (empty: leave the mirror alone).
 */
const FAST_SETUP_SCRIPT = `set -eu
hostname "$1"
printf '%s\n' "$1" >/etc/hostname
if [ -n "$2" ]; then printf '%s\n' "$2" >/etc/docker/daemon.json; kill -HUP "$(cat /var/run/docker.pid)"; fi
echo claimed`;

/**
 * daemon.json with the registry mirror moved to the session network's gateway (what
 * playground-init would have written there); undefined when the instance's mirror is
 * configured otherwise (PLAYGROUND_MIRROR=off, PLAYGROUND_MIRROR_URL) or the file is unreadable.
 */
export function mirrorConfig(daemonJson: string, env: string[], gateway: string, mirrorPort: number): string | undefined {
  if (env.some((e) => e === 'PLAYGROUND_MIRROR=off' || (e.startsWith('PLAYGROUND_MIRROR_URL=') && e.length > 'PLAYGROUND_MIRROR_URL='.length))) return undefined;
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(daemonJson) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return undefined;
  const hostPort = `${gateway}:${mirrorPort}`;
  const previous = Array.isArray(config['registry-mirrors']) ? String(config['registry-mirrors'][0] ?? '') : '';
  const previousHost = previous.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const insecure = (Array.isArray(config['insecure-registries']) ? config['insecure-registries'].map(String) : []).filter((h) => h !== previousHost);
  config['registry-mirrors'] = [`http://${hostPort}`];
  config['insecure-registries'] = [...new Set([...insecure, hostPort])].sort();
  return JSON.stringify(config);
}

/** Inside the instance, when the agent cannot reach Docker's hosts file: $1 = the file's new content. */
const HOSTS_SCRIPT = `printf '%s' "$1" >/etc/hosts && echo ok`;

/** /etc/hosts with the container's own entry naming the instance instead of the pool member. */
export function renameInHosts(hosts: string, oldName: string, newName: string, ip: string): string {
  const lines = hosts.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
  const out = lines.map((line) => {
    const [addr, ...names] = line.trim().split(/\s+/);
    if (!addr || addr.startsWith('#') || !names.includes(oldName)) return line;
    return [addr, ...names.map((n) => (n === oldName ? newName : n))].join('\t');
  });
  if (!out.some((line) => line.trim().split(/\s+/)[0] === ip && line.trim().split(/\s+/).includes(newName))) out.push(`${ip}\t${newName}`);
  return `${out.join('\n')}\n`;
}

export interface ClaimTarget {
  containerId: string;
  poolNetwork: string;
  job: CreateInstanceJob;
  mirrorPort: number;
  /** The member's /etc/docker/daemon.json as read while it waited, if known. */
  daemonJson?: string;
}

/** Where a claim's time went, in ms (logged with `instance.created`). */
export interface ClaimTimings {
  move: number;
  hosts: number;
  steps?: Record<string, number>;
}

/** Moves, renames, re-limits and re-names (hostname) the container; returns its final state. */
export async function claimContainer(docker: Docker, target: ClaimTarget, timings?: ClaimTimings): Promise<Docker.ContainerInspectInfo> {
  const { job } = target;
  const t0 = performance.now();
  const container = docker.getContainer(target.containerId);
  const sessionNetwork = sessionNetworkName(job.sessionId);
  const [info, net] = await Promise.all([container.inspect(), docker.getNetwork(sessionNetwork).inspect()]);
  if (!info.State.Running) throw new InstanceFailedError(`warm instance for ${job.hostname} is not running`);
  const name = instanceContainerName(job.instanceId);
  const gateway = ((net.IPAM?.Config ?? []) as { Gateway?: string }[]).find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway ?? '';

  const leave = async () => {
    if (!info.NetworkSettings.Networks[target.poolNetwork]) return;
    await docker.getNetwork(target.poolNetwork).disconnect({ Container: target.containerId, Force: true });
  };
  const join = async () => {
    if (info.NetworkSettings.Networks[sessionNetwork]) return;
    await docker.getNetwork(sessionNetwork).connect({ Container: target.containerId, EndpointConfig: { Aliases: [job.hostname] } });
  };
  const rename = async () => {
    if (info.Name !== `/${name}`) await container.rename({ name });
  };
  const limits = () =>
    container.update({
      NanoCpus: Math.round(job.limits.cpus * 1e9),
      Memory: job.limits.memoryBytes,
      MemorySwap: job.limits.memoryBytes,
      PidsLimit: job.limits.pids,
    });
  const fast = gateway && target.daemonJson !== undefined;
  const setup = async () => {
    // Without a known gateway the script reads the default route, so it waits for the move.
    const cmd = fast
      ? ['sh', '-c', FAST_SETUP_SCRIPT, 'claim', job.hostname, mirrorConfig(target.daemonJson!, info.Config.Env ?? [], gateway, target.mirrorPort) ?? '']
      : ['sh', '-c', SETUP_SCRIPT, 'claim', job.hostname, gateway];
    const result = await execCollect(container, cmd, 10000);
    if (result.exitCode !== 0 || !result.stdout.includes('claimed')) {
      throw new InstanceFailedError(`warm instance for ${job.hostname} could not be set up (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`);
    }
  };
  const steps: Record<string, number> = {};
  const timed = <T>(step: string, p: Promise<T>) => p.finally(() => (steps[step] = Math.round(performance.now() - t0)));
  const moved = Promise.all([timed('leave', leave()), timed('join', join())]);
  await Promise.all([moved, timed('rename', rename()), timed('limits', limits()), timed('setup', gateway ? setup() : moved.then(setup))]);
  const t1 = performance.now();

  const final = await container.inspect();
  const ip = final.NetworkSettings.Networks[sessionNetwork]?.IPAddress;
  if (ip) await fixHosts(container, final, info.Config.Hostname, job.hostname, ip);
  if (timings) {
    timings.move = Math.round(t1 - t0);
    timings.hosts = Math.round(performance.now() - t1);
    timings.steps = steps;
  }
  return final;
}

/**
 * Docker's hosts file for the container, written from the host where the agent can reach it
 * (root on the engine's host: no process started in the instance), else through an exec.
 */
async function fixHosts(container: Docker.Container, info: Docker.ContainerInspectInfo, oldName: string, newName: string, ip: string): Promise<void> {
  const path = info.HostsPath;
  if (path && (await access(path).then(() => true, () => false))) {
    await writeFile(path, renameInHosts(await readFile(path, 'utf8'), oldName, newName, ip));
    return;
  }
  const current = await execCollect(container, ['cat', '/etc/hosts'], 5000);
  const result = await execCollect(container, ['sh', '-c', HOSTS_SCRIPT, 'hosts', renameInHosts(current.stdout, oldName, newName, ip)], 5000);
  if (result.exitCode !== 0) throw new InstanceFailedError(`warm instance for ${newName} could not be named in /etc/hosts`);
}
