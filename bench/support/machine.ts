import os from 'node:os';
import type Docker from 'dockerode';
import type { MachineInfo } from './report.ts';

/** The machine a run measured, recorded beside its figures. */
export async function machineInfo(docker: Docker): Promise<MachineInfo> {
  const version = await docker.version().catch(() => ({ Version: 'unknown' }));
  return {
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    docker: version.Version,
    node: process.version,
    at: new Date().toISOString(),
  };
}
