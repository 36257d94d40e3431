import { CONFIG_VARIABLES as AGENT_VARIABLES } from '../../apps/node-agent/src/config.ts';
import { CONFIG_VARIABLES as ORCHESTRATOR_VARIABLES } from '../../apps/orchestrator/src/config.ts';
import { CONFIG_VARIABLES as WEB_VARIABLES } from '../../apps/web/src/config.ts';

// Which of the operator's environment variables `npm start` hands to its processes. Every
// variable an app's config.ts documents reaches that app, except the few the launcher decides
// itself to wire the processes together; setting one of those is refused with the reason,
// never silently ignored.

/** Decided by the launcher; the value says why, for the refusal message. */
export const LAUNCHER_OWNED: Readonly<Record<string, string>> = {
  NODE_ID: 'npm start names its nodes node-1 … node-N (--nodes N)',
  NODE_NAME: 'npm start names its nodes node-1 … node-N (--nodes N)',
  ORCHESTRATOR_URL: 'npm start runs the orchestrator itself and points the agents and the web server at it',
  ORCHESTRATOR_HOST: 'npm start binds the orchestrator to 127.0.0.1 behind the web server',
  NODE_ENV: 'npm start runs the production build',
};

/** Read by the launcher and passed on in its own way (ports, services, tokens, engines). */
export const LAUNCHER_HANDLED = new Set(['PORT', 'ORCHESTRATOR_PORT', 'DATABASE_URL', 'REDIS_URL', 'AGENT_TOKEN', 'AGENT_SECRET', 'ADMIN_TOKEN', 'DOCKER_HOST']);

export const DOCUMENTED_VARIABLES: ReadonlySet<string> = new Set([...ORCHESTRATOR_VARIABLES, ...AGENT_VARIABLES, ...WEB_VARIABLES]);

export class LauncherSettingError extends Error {
  readonly code = 'launcher_setting';
}

/**
 * The settings to give every process: each documented variable the caller set, but for those
 * the launcher handles itself. Throws naming every variable the launcher must decide itself.
 */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const refused = Object.keys(LAUNCHER_OWNED).filter((name) => env[name] !== undefined && env[name] !== '');
  if (refused.length > 0) {
    throw new LauncherSettingError(
      `these variables are set by npm start itself; unset them:\n${refused.map((name) => `  ${name}: ${LAUNCHER_OWNED[name]}`).join('\n')}`,
    );
  }
  const settings: Record<string, string> = {};
  for (const name of DOCUMENTED_VARIABLES) {
    if (LAUNCHER_HANDLED.has(name) || name in LAUNCHER_OWNED) continue;
    const value = env[name];
    if (value !== undefined && value !== '') settings[name] = value;
  }
  return settings;
}
