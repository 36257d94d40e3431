import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NodeSpec } from './stack.ts';

const run = promisify(execFile);

/**
 * After a deliberate shutdown (every session ended), removes what the node agents still
 * keep on their engines: the warm-pool members, their volumes and the pool network. A
 * crash or restart keeps them on purpose (a restarted agent adopts its pool); Ctrl-C is
 * the one time the playground is told it is over. Returns what it removed.
 */
export async function removeNodeLeftovers(nodes: NodeSpec[]): Promise<string[]> {
  const removed: string[] = [];
  for (const node of nodes) {
    const env = { ...process.env, ...node.env };
    const docker = (args: string[]) => run('docker', args, { env }).then(({ stdout }) => stdout.split('\n').filter(Boolean));
    const filter = ['--filter', `label=playground.node=${node.nodeId}`];
    const containers = await docker(['ps', '-aq', ...filter]).catch(() => []);
    if (containers.length) await docker(['rm', '-f', '-v', ...containers]).catch(() => []);
    const volumes = await docker(['volume', 'ls', '-q', ...filter]).catch(() => []);
    if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes]).catch(() => []);
    const networks = await docker(['network', 'ls', '-q', ...filter]).catch(() => []);
    if (networks.length) await docker(['network', 'rm', ...networks]).catch(() => []);
    removed.push(...containers.map((id) => `container ${id}`), ...volumes.map((v) => `volume ${v}`), ...networks.map((n) => `network ${n}`));
  }
  return removed;
}
