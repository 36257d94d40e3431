// Types for the parts of schema-engine-rpc.mjs that TypeScript code (its tests) uses.
export class StandInUsageError extends Error {
  code: 'STAND_IN_USAGE';
}

export interface StandInArgs {
  datamodels: string[];
  datasource: { url?: string; shadowDatabaseUrl?: string } | undefined;
  previewFeatures: string[];
  version: boolean;
  cliCommand: string | undefined;
}

export function parseArgs(argv: string[]): StandInArgs;
export function logLine(level: string, message: string, extra?: Record<string, unknown>): string;
export function connectionErrorCode(error: unknown, url: string): { error_code: string; message: string };
export function createDatabase(url: string): Promise<string>;
export function runOneShot(command: string, datasource: { url?: string } | undefined): Promise<{ code: number; stdout: string; stderr: string }>;
