import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { instanceContainerName, newInstanceId, newSessionId, type CreateInstanceJob } from '@playground/contracts';
import { execCollect } from '../../apps/node-agent/src/instances/exec-collect.ts';
import type { DockerInstanceProvisioner } from '../../apps/node-agent/src/instances/docker-instance-provisioner.ts';
import { removeNodeResources, requireDocker, testProvisioner, uniqueNodeId } from '../../apps/node-agent/test/support.ts';
import { eventually } from '../support/eventually.ts';

// Egress of instances (infra/egress.sh), seen from inside real instances made by the real
// provisioner on the node's engine: what a learner's shell can and cannot connect to. Every
// packet goes only to loopback, the project's own containers, or a network namespace this
// file makes itself; cloud metadata blocking is asserted by listing the rules, never by
// connecting to 169.254.169.254.

const run = promisify(execFile);
const EGRESS = path.resolve(import.meta.dirname, '../../infra/egress.sh');
const MIRROR_PORT = Number(process.env.MIRROR_PORT ?? 5000);
const limits = { cpus: 0.5, memoryBytes: 256 * 1024 * 1024, pids: 512 };

/** Runs infra/egress.sh with the default settings plus `env` (no EGRESS_* of the caller leaks in). */
async function egress(action: 'up' | 'down', env: Record<string, string> = {}): Promise<void> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EGRESS_')));
  await run('bash', [EGRESS, action], { env: { ...base, ...env } });
}

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await run(cmd, args)).stdout;
}

async function rules(ipt: 'iptables' | 'ip6tables', chain: string): Promise<string[]> {
  return (await sh(ipt, ['-S', chain])).trim().split('\n');
}

describe('instance egress', { timeout: 5 * 60_000 }, () => {
  const nodeId = uniqueNodeId();
  const tag = randomBytes(2).toString('hex');
  const ns = `pgt-egress-${tag}`;
  const vethHost = `pgteh${tag}`;
  const vethNs = `pgten${tag}`;
  // A private-range host of our own: 10.99.<n>.2 in a namespace, routed from the host.
  const octet = 1 + (parseInt(tag, 16) % 250);
  const nsHostAddr = `10.99.${octet}.1`;
  const nsAddr = `10.99.${octet}.2`;
  const nsRange = `10.99.${octet}.0/24`;
  const job = (sessionId: string, hostname: string): CreateInstanceJob => ({ sessionId, instanceId: newInstanceId(), hostname, limits });
  const [sessionA, sessionB] = [newSessionId(), newSessionId()];
  // node1 and node2 share a session network; other1 is in another session.
  const [a1, a2, b1] = [job(sessionA, 'node1'), job(sessionA, 'node2'), job(sessionB, 'other1')];

  let docker: Docker;
  let provisioner: DockerInstanceProvisioner;
  let hadRules = false;
  let nsListener: ChildProcess | undefined;
  let hostServer: net.Server | undefined;
  let hostPort = 0;
  let a2Ip = '';
  let a1Gateway = '';

  const inInstance = (job: CreateInstanceJob, script: string) =>
    execCollect(docker.getContainer(instanceContainerName(job.instanceId)), ['bash', '-c', script], 20000);

  /** What a learner's `bash` sees connecting to ip:port: the banner the listener sends, or the error. */
  async function connectFrom(job: CreateInstanceJob, ip: string, port: number): Promise<string> {
    const r = await inInstance(job, `timeout 5 bash -c 'exec 3<>/dev/tcp/${ip}/${port} && head -c 64 <&3' 2>&1 || echo "exit $?"`);
    return r.stdout.trim();
  }

  /** The same probe from the host itself, for the positive controls. */
  function connectFromHost(ip: string, port: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: ip, port, timeout: 5000 });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data.trim()));
      socket.on('timeout', () => (socket.destroy(), resolve('timeout')));
      socket.on('error', (err) => resolve(String(err)));
    });
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the egress tests must run as root (they create a network namespace and read iptables)');
    for (const cmd of ['ip', 'iptables', 'ip6tables', 'iptables-restore']) {
      await run('sh', ['-c', `command -v ${cmd}`]).catch(() => assert.fail(`the egress tests need ${cmd} (run infra/setup.sh)`));
    }
    docker = await requireDocker();
    hadRules = await run('iptables', ['-S', 'PLAYGROUND-EGRESS']).then(() => true, () => false);
    await egress('up');

    // The private-range host: a namespace with a veth to the host and listeners on 8080 and 25.
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
    await sh('ip', ['link', 'set', vethNs, 'netns', ns]);
    await sh('ip', ['addr', 'add', `${nsHostAddr}/24`, 'dev', vethHost]);
    await sh('ip', ['link', 'set', vethHost, 'up']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${nsAddr}/24`, 'dev', vethNs]);
    await sh('ip', ['-n', ns, 'link', 'set', vethNs, 'up']);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const serve = `for (const p of [8080, 25]) require('net').createServer((s) => s.end('ns-' + p + '-ok\\n')).listen(p, '0.0.0.0');`;
    nsListener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', serve], { stdio: 'ignore' });
    await eventually(async () => (await connectFromHost(nsAddr, 8080)) === 'ns-8080-ok', { timeoutMs: 10000, description: 'the namespace listeners', intervalMs: 100 });

    // A service of the node itself, on all interfaces, not the mirror's port.
    hostServer = net.createServer((s) => s.end('node-ok\n'));
    await new Promise<void>((resolve) => hostServer!.listen(0, '0.0.0.0', resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;

    provisioner = testProvisioner(docker, nodeId);
    const [, a2Result] = await Promise.all([provisioner.createInstance(a1), provisioner.createInstance(a2), provisioner.createInstance(b1)]);
    a2Ip = a2Result.ip;
    a1Gateway = (await inInstance(a1, `ip -4 route show default | awk '{ print $3 }'`)).stdout.trim();
    assert.match(a1Gateway, /^\d+\.\d+\.\d+\.\d+$/, 'instance node1 has a default gateway');
    // A listener in node2 for its session peer (python3 is in the instance image).
    await inInstance(
      a2,
      `nohup python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 7000)); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"peer-ok\\n"); c.close()' >/dev/null 2>&1 &`,
    );
    await eventually(async () => (await connectFromHost(a2Ip, 7000)) === 'peer-ok', { timeoutMs: 10000, description: 'the peer listener in node2', intervalMs: 100 });
  });

  after(async () => {
    if (provisioner) await removeNodeResources(docker, nodeId);
    nsListener?.kill();
    hostServer?.close();
    await run('ip', ['link', 'del', vethHost]).catch(() => undefined);
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    // Leave the firewall as it was found: applied with the defaults, or absent.
    await egress(hadRules ? 'up' : 'down');
  });

  it('reaches its session peer and the registry mirror, and the host reaches it (port proxy path)', async () => {
    assert.equal(await connectFrom(a1, a2Ip, 7000), 'peer-ok');
    const mirror = await inInstance(a1, `curl -s -m 5 -o /dev/null -w '%{http_code}' http://${a1Gateway}:${MIRROR_PORT}/v2/`);
    assert.equal(mirror.stdout, '200', `the mirror answers at the gateway (${mirror.stdout} ${mirror.stderr})`);
    assert.equal(await connectFromHost(a2Ip, 7000), 'peer-ok');
  });

  it('does not reach an instance of another session', async () => {
    assert.notEqual(await connectFrom(b1, a2Ip, 7000), 'peer-ok');
  });

  it("does not reach the node's own services (a listener on 0.0.0.0), unless EGRESS_NODE_PORTS lists the port", async () => {
    const blocked = await connectFrom(a1, a1Gateway, hostPort);
    assert.notEqual(blocked, 'node-ok');
    assert.match(blocked, /No route to host|exit/);
    assert.equal(await connectFromHost('127.0.0.1', hostPort), 'node-ok', 'the listener itself answers');
    await egress('up', { EGRESS_NODE_PORTS: `tcp:${MIRROR_PORT} tcp:${hostPort}` });
    try {
      assert.equal(await connectFrom(a1, a1Gateway, hostPort), 'node-ok', 'the same probe succeeds once the port is allowed');
    } finally {
      await egress('up');
    }
    assert.notEqual(await connectFrom(a1, a1Gateway, hostPort), 'node-ok', 'blocked again with the defaults');
  });

  it('does not reach a host in a private range, unless EGRESS_ALLOW lists it', async () => {
    assert.equal(await connectFromHost(nsAddr, 8080), 'ns-8080-ok', 'the private host answers the node itself');
    const blocked = await connectFrom(a1, nsAddr, 8080);
    assert.notEqual(blocked, 'ns-8080-ok');
    assert.match(blocked, /No route to host|exit/);
    await egress('up', { EGRESS_ALLOW: nsRange });
    try {
      assert.equal(await connectFrom(a1, nsAddr, 8080), 'ns-8080-ok', 'the same probe succeeds once the range is allowed');
    } finally {
      await egress('up');
    }
    assert.notEqual(await connectFrom(a1, nsAddr, 8080), 'ns-8080-ok', 'blocked again with the defaults');
  });

  it('does not send SMTP (tcp 25) even where the range is allowed, unless EGRESS_BLOCK_PORTS is emptied', async () => {
    assert.equal(await connectFromHost(nsAddr, 25), 'ns-25-ok', 'the SMTP listener answers the node itself');
    assert.notEqual(await connectFrom(a1, nsAddr, 25), 'ns-25-ok');
    await egress('up', { EGRESS_ALLOW: nsRange });
    try {
      assert.notEqual(await connectFrom(a1, nsAddr, 25), 'ns-25-ok', 'port 25 stays blocked in an allowed range');
      await egress('up', { EGRESS_ALLOW: nsRange, EGRESS_BLOCK_PORTS: '' });
      assert.equal(await connectFrom(a1, nsAddr, 25), 'ns-25-ok', 'the same probe succeeds once port 25 is not blocked');
    } finally {
      await egress('up');
    }
  });

  it('rejects link-local / cloud metadata and the other private ranges (rules listed, never probed)', async () => {
    const v4 = await rules('iptables', 'PLAYGROUND-EGRESS');
    for (const range of ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']) {
      assert.ok(v4.includes(`-A PLAYGROUND-EGRESS -d ${range} -j REJECT --reject-with icmp-admin-prohibited`), `${range} is rejected`);
    }
    // Nothing before those rules lets a new connection to them through: the RETURNs before
    // them are replies, same-bridge traffic and DNS to the node's resolvers only.
    const before = v4.slice(0, v4.findIndex((r) => r.includes('169.254.0.0/16')));
    for (const rule of before.filter((r) => r.endsWith('-j RETURN'))) {
      assert.match(rule, /ESTABLISHED|physdev-is-bridged|--dport 53 -j RETURN$/, `unexpected early RETURN: ${rule}`);
    }
    const v6 = await rules('ip6tables', 'PLAYGROUND-EGRESS');
    assert.ok(v6.some((r) => r.includes('-d fc00::/7') && r.includes('REJECT')), 'fc00::/7 is rejected');
    assert.ok(v6.some((r) => r.includes('-d fe80::/10') && r.includes('REJECT')), 'fe80::/10 is rejected');
    // Hooked first, before anything that could accept (PLAYGROUND-NODES, Docker's chains).
    const user = await rules('iptables', 'DOCKER-USER');
    assert.deepEqual(user.slice(1, 3), ['-A DOCKER-USER -i docker0 -j PLAYGROUND-EGRESS', '-A DOCKER-USER -i br-+ -j PLAYGROUND-EGRESS']);
    const input = await rules('iptables', 'INPUT');
    assert.ok(input.includes('-A INPUT -i br-+ -j PLAYGROUND-TO-NODE'));
    const toNode = await rules('iptables', 'PLAYGROUND-TO-NODE');
    assert.deepEqual(toNode.slice(1), [
      '-A PLAYGROUND-TO-NODE -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
      `-A PLAYGROUND-TO-NODE -p tcp -m tcp --dport ${MIRROR_PORT} -j RETURN`,
      '-A PLAYGROUND-TO-NODE -j REJECT --reject-with icmp-admin-prohibited',
    ]);
  });

  it('is idempotent: applying it again changes nothing', async () => {
    const snapshot = async () => [await rules('iptables', 'DOCKER-USER'), await rules('iptables', 'INPUT'), await rules('iptables', 'PLAYGROUND-EGRESS')];
    const first = await snapshot();
    await egress('up');
    assert.deepEqual(await snapshot(), first);
  });
});
