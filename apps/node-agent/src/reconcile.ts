import type { Logger } from 'pino';
import type { LiveInstances } from '@playground/contracts';
import type { BusyWork, InstanceProvisioner } from './instances/instance-provisioner.ts';

// After each (re)connect the orchestrator says which instances and sessions are alive; the
// node removes what it labelled that is not, and reports live instances it no longer has.

export async function reconcileNode(opts: {
  live: LiveInstances;
  provisioner: InstanceProvisioner;
  busy: BusyWork;
  onGone: (instanceId: string, reason: string) => void;
  logger: Logger;
}): Promise<void> {
  const outcome = await opts.provisioner.reconcile(opts.live, opts.busy);
  for (const { instanceId, reason } of outcome.gone) opts.onGone(instanceId, reason);
  opts.logger.info(
    {
      live: opts.live.instanceIds.length,
      removedInstances: outcome.removedInstances.length,
      removedSessions: outcome.removedSessions.length,
      gone: outcome.gone.length,
    },
    'node.reconciled',
  );
}
