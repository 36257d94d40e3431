import {
  InstanceId,
  PlaygroundError,
  type ExecReply,
  type FilesListReply,
  type FilesReadReply,
  type UploadReply,
} from '@playground/contracts';
import type { Db } from './db.ts';
import type { NodeLinks } from './gateway/node-links.ts';
import type { Instance } from './generated/prisma/client.ts';
import type { Sessions } from './sessions.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from './service-errors.ts';

// Runs a command or writes a file in a running instance, through its node agent's link (a
// call with a reply, like a terminal attach): PWD's exec, uploads and session setup. Results
// are small (an exit code, bounded output), so a queue job's durability buys nothing here.

/** How long we wait for a node whose agent link is down right now before answering 503. */
const AGENT_WAIT_MS = 5_000;
/** Beyond the command's own deadline (the agent enforces it), for the link round trip. */
const REPLY_MARGIN_MS = 10_000;
const UPLOAD_TIMEOUT_MS = 60_000;
/** The agent gives up on a listing or read after 30 s; this covers the link's round trip too. */
const FILES_TIMEOUT_MS = 40_000;

export interface ExecOutcome {
  exitCode: number | null;
  output: string;
}

export class InstanceCommands {
  constructor(
    private readonly db: Db,
    private readonly sessions: Sessions,
    private readonly agents: Pick<NodeLinks, 'waitForLink'>,
    private readonly execTimeoutMs: number,
  ) {}

  /** A running instance of an active session, or the error the caller should see. */
  async requireRunning(sessionId: string, instanceId: string): Promise<Instance> {
    await this.sessions.requireActive(sessionId);
    const instance = InstanceId.safeParse(instanceId).success
      ? await this.db.instance.findFirst({ where: { id: instanceId, sessionId, status: { not: 'deleted' } } })
      : null;
    if (!instance) throw new PlaygroundError('not_found', 'No such instance in this session.');
    if (instance.status !== 'running') throw new PlaygroundError('bad_request', `This instance is not running (it is ${instance.status}).`);
    return instance;
  }

  async exec(sessionId: string, instanceId: string, command: string[]): Promise<ExecOutcome> {
    const instance = await this.requireRunning(sessionId, instanceId);
    const agent = await this.agentOf(instance);
    const reply = await this.call<ExecReply>(() =>
      agent
        .timeout(this.execTimeoutMs + REPLY_MARGIN_MS)
        .emitWithAck('instance.exec', { instanceId, command, timeoutMs: this.execTimeoutMs }),
    );
    if (!reply.ok) throw failure(reply, 'The command');
    return { exitCode: reply.exitCode, output: reply.output };
  }

  async upload(sessionId: string, instanceId: string, file: { directory: string; fileName: string; data: Uint8Array }): Promise<void> {
    const instance = await this.requireRunning(sessionId, instanceId);
    const agent = await this.agentOf(instance);
    const reply = await this.call<UploadReply>(() =>
      agent.timeout(UPLOAD_TIMEOUT_MS).emitWithAck('instance.upload', { instanceId, ...file }),
    );
    if (!reply.ok) throw failure(reply, 'The upload');
  }

  /** One directory of a running instance (`path` absolute, checked by the caller). */
  async listFiles(sessionId: string, instanceId: string, path: string, maxEntries: number): Promise<Extract<FilesListReply, { ok: true }>> {
    const agent = await this.agentOf(await this.requireRunning(sessionId, instanceId));
    const reply = await this.call<FilesListReply>(() => agent.timeout(FILES_TIMEOUT_MS).emitWithAck('instance.files.list', { instanceId, path, maxEntries }));
    if (!reply.ok) throw failure(reply, 'Listing the directory');
    return reply;
  }

  /** A chunk of a file in a running instance, with the file's size and the path its symlinks led to. */
  async readFile(sessionId: string, instanceId: string, chunk: { path: string; offset: number; length: number }): Promise<Extract<FilesReadReply, { ok: true }>> {
    const agent = await this.agentOf(await this.requireRunning(sessionId, instanceId));
    const reply = await this.call<FilesReadReply>(() => agent.timeout(FILES_TIMEOUT_MS).emitWithAck('instance.files.read', { instanceId, ...chunk }));
    if (!reply.ok) throw failure(reply, 'Reading the file');
    return { ...reply, data: Buffer.from(reply.data) };
  }

  private async agentOf(instance: Instance) {
    const agent = await this.agents.waitForLink(instance.nodeId, AGENT_WAIT_MS);
    if (!agent) {
      throw new PlaygroundError('unavailable', 'The machine running this instance is not connected right now. Try again in a moment.', {
        retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
      });
    }
    return agent;
  }

  /** A reply that never came (timeout, link dropped) is a 504. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new PlaygroundError('timeout', 'The machine running this instance did not answer in time.', { cause: error });
    }
  }
}

/** An agent's refusal as the error the client sees. */
function failure(reply: { code: string; message: string }, what: string): PlaygroundError {
  switch (reply.code) {
    case 'timeout':
      return new PlaygroundError('timeout', `${what} did not finish in time: ${reply.message}.`);
    case 'instance_not_found':
      return new PlaygroundError('not_found', 'This instance is not running any more.');
    case 'upload_failed':
      return new PlaygroundError('bad_request', `${what} failed: ${reply.message}`);
    case 'file_not_found':
      return new PlaygroundError('not_found', `${reply.message}.`);
    case 'not_a_directory':
    case 'is_a_directory':
    case 'not_a_regular_file':
      return new PlaygroundError('bad_request', `${what} failed: ${reply.message}.`);
    default:
      return new PlaygroundError('instance_failed', `${what} failed: ${reply.message}`);
  }
}
