// Errors the agent raises, each with a stable `code`. Messages are written for the learner
// who sees them (through the orchestrator) and carry no stack or internal detail.

export type AgentErrorCode =
  | 'bad_job'
  | 'image_missing'
  | 'instance_failed'
  | 'instance_timeout'
  | 'instance_not_found'
  | 'engine_unavailable';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  /** Retrying the same command cannot succeed (bad input, missing image). */
  readonly permanent: boolean;

  constructor(code: AgentErrorCode, message: string, options?: { permanent?: boolean; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'AgentError';
    this.code = code;
    this.permanent = options?.permanent ?? false;
  }
}

export class ImageMissingError extends AgentError {
  constructor(image: string, nodeId: string) {
    super('image_missing', `instance image ${image} is not on node ${nodeId}; run infra/setup.sh`, { permanent: true });
    this.name = 'ImageMissingError';
  }
}

export class InstanceFailedError extends AgentError {
  constructor(message: string, cause?: unknown) {
    super('instance_failed', message, { cause });
    this.name = 'InstanceFailedError';
  }
}

export class InstanceTimeoutError extends AgentError {
  constructor(hostname: string, timeoutMs: number) {
    super('instance_timeout', `instance ${hostname} did not start its Docker engine within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'InstanceTimeoutError';
  }
}

export class InstanceNotFoundError extends AgentError {
  constructor(instanceId: string) {
    super('instance_not_found', `instance ${instanceId} is not running on this node`);
    this.name = 'InstanceNotFoundError';
  }
}

/** Docker answers 404 for missing objects; dockerode puts it on `statusCode`. */
export function isDockerNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

export function isDockerConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 409;
}
