import { PlaygroundError } from '@playground/contracts';
import type { Instance } from './generated/prisma/client.ts';
import type { InstanceCommands } from './instance-commands.ts';

// Forming a Docker Swarm among a session's running instances, as a session template or Play
// with Docker's setup asks: the first manager initialises it on its own address, the other
// managers and then the workers join it with the tokens it hands out.

type Commands = Pick<InstanceCommands, 'exec'>;

/** Runs a command in the instance; a non-zero exit is an error that names the instance and says what it printed. */
export async function runInInstance(commands: Commands, sessionId: string, instance: Instance, command: string[]): Promise<string> {
  const { exitCode, output } = await commands.exec(sessionId, instance.id, command);
  if (exitCode !== 0) {
    throw new PlaygroundError('bad_request', `On ${instance.hostname}, \`${command.join(' ')}\` exited with ${exitCode}: ${output.trim().slice(-500)}`);
  }
  return output;
}

export async function formSwarm(commands: Commands, sessionId: string, managers: Instance[], workers: Instance[]): Promise<void> {
  const [leader, ...others] = managers;
  if (!leader) {
    if (workers.length > 0) throw new PlaygroundError('bad_request', 'Swarm workers need a swarm manager.');
    return;
  }
  await runInInstance(commands, sessionId, leader, ['docker', 'swarm', 'init', '--advertise-addr', leader.ip ?? 'eth0']);
  const join = async (role: 'manager' | 'worker', instance: Instance) => {
    const token = (await runInInstance(commands, sessionId, leader, ['docker', 'swarm', 'join-token', '-q', role])).trim();
    await runInInstance(commands, sessionId, instance, ['docker', 'swarm', 'join', '--token', token, `${leader.ip}:2377`]);
  };
  for (const manager of others) await join('manager', manager);
  for (const worker of workers) await join('worker', worker);
}
