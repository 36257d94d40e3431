import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The extra Docker engines of infra/node-engines.sh (one per extra node on this machine), as
// TypeScript sees them. Where an engine's socket lives is known to the script alone; this
// asks it (`node-engines.sh docker-host K`) rather than repeat the path.

/** The script that starts, stops and describes the extra engines. */
export const NODE_ENGINES_SCRIPT = fileURLToPath(new URL('./node-engines.sh', import.meta.url));

/** DOCKER_HOST (`unix://…/docker.sock`) of node k's own engine, k = 2..8. */
export function nodeEngineDockerHost(k: number): string {
  const result = spawnSync('bash', [NODE_ENGINES_SCRIPT, 'docker-host', String(k)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`infra/node-engines.sh docker-host ${k} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
  return result.stdout.trim();
}

/** The unix socket path of node k's own engine. */
export function nodeEngineSocket(k: number): string {
  return nodeEngineDockerHost(k).replace(/^unix:\/\//, '');
}
