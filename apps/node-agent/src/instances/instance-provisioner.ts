import type { CreateInstanceJob, CreateInstanceResult, DeleteInstanceJob, LiveInstances } from '@playground/contracts';

/** One instance this node runs, as read back from its container's labels. */
export interface ManagedInstance {
  instanceId: string;
  sessionId: string;
  hostname: string;
  containerId: string;
  running: boolean;
}

/** Instances and sessions a lifecycle job is working on right now; reconcile leaves them alone. */
export interface BusyWork {
  instanceIds: ReadonlySet<string>;
  sessionIds: ReadonlySet<string>;
}

/** What reconcile removed or found missing. */
export interface ReconcileOutcome {
  removedInstances: string[];
  removedSessions: string[];
  /** Live instances (per the orchestrator) whose container is missing or stopped. */
  gone: { instanceId: string; reason: string }[];
}

/**
 * Makes and removes instances (isolated hosts with their own Docker engine) on this node.
 * The seam where Docker could be swapped for another runtime; `DockerInstanceProvisioner`
 * is the one implementation.
 */
export interface InstanceProvisioner {
  /** Idempotent: the same instance id yields the same container; resolves once its engine answers. */
  createInstance(job: CreateInstanceJob): Promise<CreateInstanceResult>;
  /** Idempotent: no error when the instance is already gone. */
  deleteInstance(job: DeleteInstanceJob): Promise<void>;
  /** Removes every instance of the session on this node, their volumes, then its network. */
  closeSession(sessionId: string): Promise<void>;
  listInstances(): Promise<ManagedInstance[]>;
  /** Removes what this node labelled and the orchestrator no longer knows; reports live instances that vanished. */
  reconcile(live: LiveInstances, busy: BusyWork): Promise<ReconcileOutcome>;
  /** Whether the instance's container was stopped or removed by this agent recently (not a crash). */
  isExpectedStop(instanceId: string): boolean;
}
