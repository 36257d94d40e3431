/** One small, idempotent sweep of the record. It must be safe to run on any replica at any time. */
export interface ReaperTask {
  readonly name: string;
  run(now: Date): Promise<void>;
}
