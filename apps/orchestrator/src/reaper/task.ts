/** One small, idempotent sweep of the record. It must be safe to run at any time, and again after a restart. */
export interface ReaperTask {
  readonly name: string;
  run(now: Date): Promise<void>;
}
