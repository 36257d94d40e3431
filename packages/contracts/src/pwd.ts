import { z } from 'zod';
import { INSTANCE_HOSTNAME } from './ids.ts';

// Play with Docker's public protocol, served beside our own API so tutorials written for PWD
// run here with only their base URL changed. Field names and shapes are PWD's (snake_case,
// instances keyed by name); the orchestrator maps its records onto them (src/pwd/).


/** `POST /sessions/:id/instances`. PWD's SDK sends more fields (type, …); unknown ones are ignored, as PWD does. */
export const PwdNewInstanceBody = z.object({
  Hostname: z.string().regex(INSTANCE_HOSTNAME, 'a hostname is lower-case letters, digits and dashes, starting with a letter').optional().or(z.literal('')),
  /** One image runs every instance here; a requested image is accepted and not used. */
  ImageName: z.string().max(256).optional(),
  Envs: z.array(z.string().max(4096)).max(64).optional(),
  Networks: z.array(z.string().max(256)).max(16).optional(),
});
export type PwdNewInstanceBody = z.infer<typeof PwdNewInstanceBody>;

/** A command as argv; bounded so one request cannot carry a megabyte of arguments. */
export const PwdCommand = z.array(z.string().max(8192)).min(1).max(128);

export const PwdExecBody = z.object({ command: PwdCommand });
export type PwdExecBody = z.infer<typeof PwdExecBody>;

export const PwdSetupInstance = z.object({
  hostname: z.string().regex(INSTANCE_HOSTNAME).optional().or(z.literal('')),
  image: z.string().max(256).optional(),
  is_swarm_manager: z.boolean().optional(),
  is_swarm_worker: z.boolean().optional(),
  type: z.string().max(32).optional(),
  run: z.array(PwdCommand).max(32).optional(),
  tls: z.boolean().optional(),
});
export const PwdSetupBody = z.object({ instances: z.array(PwdSetupInstance).min(1).max(16) });
export type PwdSetupBody = z.infer<typeof PwdSetupBody>;

export const PwdNewSessionReply = z.object({ session_id: z.string(), hostname: z.string() });
export type PwdNewSessionReply = z.infer<typeof PwdNewSessionReply>;

export const PwdInstance = z.object({
  /** The name every later call and WebSocket event uses: our instance id. */
  name: z.string(),
  hostname: z.string(),
  ip: z.string(),
  routable_ip: z.string(),
  /** First label of the instance's port hosts: `<proxy_host>-<port>.direct.<hostname>`. */
  proxy_host: z.string(),
  session_id: z.string(),
  session_host: z.string(),
  image: z.string(),
  type: z.literal('linux'),
  tls: z.boolean(),
});
export type PwdInstance = z.infer<typeof PwdInstance>;

export const PwdSession = z.object({
  id: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  pwd_ip_address: z.string(),
  ready: z.boolean(),
  stack: z.string(),
  stack_name: z.string(),
  image_name: z.string(),
  host: z.string(),
  user_id: z.string(),
  playground_id: z.string(),
  instances: z.record(z.string(), PwdInstance),
});
export type PwdSession = z.infer<typeof PwdSession>;

/** Event names of the plain WebSocket at /sessions/:id/ws/ (PWD's, verbatim). */
export const PWD_EVENT = {
  terminalIn: 'instance terminal in',
  terminalOut: 'instance terminal out',
  viewportResize: 'instance viewport resize',
  instanceNew: 'instance new',
  instanceDelete: 'instance delete',
  sessionEnd: 'session end',
  sessionClose: 'session close',
} as const;

/** Every text frame is one `{ name, args }` object, both ways. */
export const PwdFrame = z.object({ name: z.string().max(64), args: z.array(z.unknown()).max(8).default([]) });
export type PwdFrame = z.infer<typeof PwdFrame>;

export const PwdTerminalInArgs = z.tuple([z.string().max(64), z.string()]);
export const PwdResizeArgs = z.tuple([z.number().int().min(2).max(1000), z.number().int().min(2).max(1000)]);
