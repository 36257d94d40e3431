import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import {
  AGENT_NAMESPACE,
  AgentRefusal,
  AttachRequest,
  ExecRequest,
  FilesListRequest,
  FilesReadRequest,
  UploadRequest,
  TerminalInput,
  TerminalSize,
  type AgentToOrchestrator,
  type CpuAbuseReport,
  type LiveInstances,
  type NodeAnnouncement,
  type OrchestratorToAgent,
  type SecurityMode,
  type UsageReport,
} from '@playground/contracts';
import { acceptStreams, type LinkStreams, type StreamCarrier, type StreamDialer } from '@playground/contracts/link-streams';
import type { InstanceCommands } from './instances/instance-commands.ts';
import type { InstanceFiles } from './instances/instance-files.ts';
import type { TerminalManager } from './terminals/terminal-manager.ts';

// The agent's one connection to the orchestrator (Socket.IO namespace /agent). The agent
// dials out, so nodes need no inbound port. Terminal viewers live only as long as the
// connection: on disconnect they are detached (their shells stay for the next attach).
// Port traffic rides the same connection as byte streams (contracts/link-streams.ts), so
// the orchestrator needs no route to this node's instances; they end when it drops.

export type AgentSocket = Socket<OrchestratorToAgent, AgentToOrchestrator>;

export interface OrchestratorLinkOptions {
  /** The orchestrator (one URL), or its replicas: the link moves to the next one whenever it fails. */
  urls: string[];
  nodeId: string;
  token: string;
  securityMode: SecurityMode;
  terminals: TerminalManager;
  /** One-off commands and file writes in instances (exec, uploads). */
  commands: InstanceCommands;
  /** The file panel's listings and reads in instances. */
  files: InstanceFiles;
  /** Connects a byte stream the orchestrator opens: to a port of an instance here (port traffic), or to an archive of one (downloads). */
  dialStream: StreamDialer;
  announcement: () => Promise<NodeAnnouncement>;
  logger: Logger;
}

/** What the rest of the agent does about the link's own events; given to `connect`. */
export interface OrchestratorLinkHandlers {
  /** Runs after each (re)connect with the orchestrator's answer to `node.live`. */
  onConnected: (live: LiveInstances) => Promise<void>;
  /** A refusal that retrying cannot fix (e.g. an unsafe mode on a public orchestrator). */
  onFatalRefusal: (message: string) => void;
}

const LIVE_TIMEOUT_MS = 10_000;
const AUTH_RETRY_MS = 5_000;
/** Output up to this size travels as text (see outputPayload). */
export const TEXT_OUTPUT_MAX_BYTES = 1024;

/**
 * Small output (keystroke echoes, prompts) goes as text: a Socket.IO text packet is one
 * websocket frame, where bytes take two (a header and an attachment sent after it), and every
 * frame costs each hop a write and a wake-up. Bulk output stays bytes: its frame count does not
 * matter, and bytes skip the JSON encoding and UTF-8 conversions text would cost. Chunks end on
 * character boundaries (the terminal manager cuts them there), so decoding each on its own is
 * exact; invalid bytes become U+FFFD, as the browser's terminal would show them anyway.
 */
export function outputPayload(data: Buffer): string | Buffer {
  return data.length <= TEXT_OUTPUT_MAX_BYTES ? data.toString('utf8') : data;
}

export class OrchestratorLink {
  readonly socket: AgentSocket;
  private readonly viewers = new Set<string>();
  private readonly streams: LinkStreams;
  private closed = false;
  /** Index in `opts.urls` of the orchestrator the link uses. */
  private replica = 0;
  private retry: NodeJS.Timeout | undefined;
  private handlers: OrchestratorLinkHandlers | undefined;

  constructor(private readonly opts: OrchestratorLinkOptions) {
    const url = new URL(AGENT_NAMESPACE, opts.urls[0]).toString();
    this.socket = io(url, {
      auth: { nodeId: opts.nodeId, token: opts.token, securityMode: opts.securityMode },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelayMax: 5000,
    });
    this.streams = acceptStreams(this.socket as unknown as StreamCarrier, opts.dialStream);
    // Socket.IO's own reconnection (with its backoff) tries the next replica each time.
    this.socket.io.on('reconnect_attempt', () => this.nextReplica());
    this.wire();
  }

  /**
   * Dials the orchestrator. Separate from the constructor so the parts that report through
   * the link (ports, watcher, CPU monitor) can be built with it first, and the handlers that
   * use those parts are given once they exist.
   */
  connect(handlers: OrchestratorLinkHandlers): void {
    this.handlers = handlers;
    this.closed = false;
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket.disconnect();
    this.detachAll();
    this.streams.closeAll('the node agent is stopping');
  }

  /** The orchestrator the link uses now (or tries next). */
  get url(): string {
    return this.opts.urls[this.replica]!;
  }

  /**
   * Points the link at the next replica of the list, for the next connection attempt. Socket.IO
   * connects one manager to one URL; its manager opens each attempt's engine from `uri`, so
   * that is what changes (the namespace and every handler stay).
   */
  private nextReplica(): void {
    if (this.opts.urls.length < 2) return;
    this.replica = (this.replica + 1) % this.opts.urls.length;
    (this.socket.io as unknown as { uri: string }).uri = this.url;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  ports(instanceId: string, ports: number[]): void {
    if (this.socket.connected) this.socket.emit('instance.ports', instanceId, ports);
  }

  /** Buffered by Socket.IO while disconnected, so a crash seen offline still reaches the orchestrator. */
  gone(instanceId: string, reason: string): void {
    this.socket.emit('instance.gone', instanceId, reason);
  }

  /** Buffered while disconnected like `gone`: the learner's page must learn of it. */
  cpuWarning(instanceId: string, report: CpuAbuseReport | null): void {
    this.socket.emit('instance.cpu_warning', instanceId, report);
  }

  stopped(instanceId: string, report: CpuAbuseReport): void {
    this.socket.emit('instance.stopped', instanceId, report);
  }

  /** Not buffered while disconnected: old figures are worth nothing, the next interval brings new ones. */
  usage(report: UsageReport): void {
    if (this.socket.connected) this.socket.emit('instance.usage', report);
  }

  private detachAll(): void {
    for (const viewerId of this.viewers) this.opts.terminals.detach(viewerId);
    this.viewers.clear();
  }

  private wire(): void {
    const { socket, opts } = this;
    const log = opts.logger;

    socket.on('connect', () => {
      log.info({ url: this.url }, 'orchestrator.connected');
      void this.onConnect();
    });
    socket.on('disconnect', (reason) => {
      log.warn({ reason }, 'orchestrator.disconnected');
      this.detachAll();
      this.streams.closeAll('the link to the orchestrator was lost');
      // A disconnect by the server is not retried by Socket.IO itself; the agent always comes back.
      if (reason === 'io server disconnect' && !this.closed) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => !this.closed && socket.connect(), 1000);
      }
    });
    socket.on('connect_error', (err) => {
      log.warn({ err: err.message }, 'orchestrator.connect_failed');
      if (AgentRefusal.safeParse((err as Error & { data?: unknown }).data).success) {
        this.close();
        this.handlers?.onFatalRefusal(err.message);
        return;
      }
      // A refusal by the server's auth middleware stops automatic reconnection; keep trying
      // (the orchestrator may be restarting with a new token), slowly.
      if (!socket.active && !this.closed) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => {
          if (this.closed) return;
          this.nextReplica();
          socket.connect();
        }, AUTH_RETRY_MS);
      }
    });

    // Answering proves this link is alive, so a second agent claiming this node is refused.
    socket.on('node.ping', (reply) => {
      if (typeof reply === 'function') reply();
    });

    socket.on('terminal.attach', (raw, reply) => {
      const parsed = AttachRequest.safeParse(raw);
      if (!parsed.success || typeof reply !== 'function') {
        if (typeof reply === 'function') reply({ ok: false, code: 'bad_request', message: 'malformed attach request' });
        return;
      }
      const request = parsed.data;
      this.viewers.add(request.viewerId);
      void opts.terminals
        .attach(request, {
          output: (data, ack, wantsAck) => {
            if (!socket.connected) return;
            const payload = outputPayload(data);
            if (wantsAck) socket.emit('terminal.output', request.viewerId, payload, ack);
            else socket.emit('terminal.output', request.viewerId, payload);
          },
          exit: (info) => {
            this.viewers.delete(request.viewerId);
            if (socket.connected) socket.emit('terminal.exit', request.viewerId, info);
          },
        })
        .then((result) => {
          if (!result.ok) this.viewers.delete(request.viewerId);
          reply(result);
        });
    });
    socket.on('terminal.input', (viewerId, data) => {
      if (typeof viewerId === 'string' && TerminalInput.safeParse(data).success) opts.terminals.input(viewerId, data);
    });
    socket.on('terminal.resize', (viewerId, size) => {
      const parsed = TerminalSize.safeParse(size);
      if (typeof viewerId === 'string' && parsed.success) opts.terminals.resize(viewerId, parsed.data);
    });
    socket.on('terminal.detach', (viewerId) => {
      if (typeof viewerId !== 'string') return;
      this.viewers.delete(viewerId);
      opts.terminals.detach(viewerId);
    });
    socket.on('terminal.close', (viewerId) => {
      if (typeof viewerId === 'string') opts.terminals.close(viewerId);
    });

    socket.on('instance.exec', (raw, reply) => {
      if (typeof reply !== 'function') return;
      const parsed = ExecRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, code: 'bad_request', message: 'malformed exec request' });
      opts.commands.exec(parsed.data).then(reply, (err: unknown) => {
        log.warn({ instanceId: parsed.data.instanceId, err: String(err) }, 'instance.exec_failed');
        reply({ ok: false, code: 'exec_failed', message: 'the command could not be started' });
      });
    });
    socket.on('instance.upload', (raw, reply) => {
      if (typeof reply !== 'function') return;
      const parsed = UploadRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, code: 'bad_request', message: 'malformed upload request' });
      opts.commands.upload(parsed.data).then(reply, (err: unknown) => {
        log.warn({ instanceId: parsed.data.instanceId, err: String(err) }, 'instance.upload_failed');
        reply({ ok: false, code: 'upload_failed', message: 'the file could not be written' });
      });
    });
    socket.on('instance.files.list', (raw, reply) => {
      if (typeof reply !== 'function') return;
      const parsed = FilesListRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, code: 'bad_request', message: 'malformed list request' });
      opts.files.list(parsed.data).then(reply, (err: unknown) => {
        log.warn({ instanceId: parsed.data.instanceId, err: String(err) }, 'instance.files_list_failed');
        reply({ ok: false, code: 'files_failed', message: 'the directory could not be listed' });
      });
    });
    socket.on('instance.files.read', (raw, reply) => {
      if (typeof reply !== 'function') return;
      const parsed = FilesReadRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, code: 'bad_request', message: 'malformed read request' });
      opts.files.read(parsed.data).then(reply, (err: unknown) => {
        log.warn({ instanceId: parsed.data.instanceId, err: String(err) }, 'instance.files_read_failed');
        reply({ ok: false, code: 'files_failed', message: 'the file could not be read' });
      });
    });
  }

  private async onConnect(): Promise<void> {
    const { socket, opts } = this;
    try {
      socket.emit('node.announce', await opts.announcement());
      const live = await socket.timeout(LIVE_TIMEOUT_MS).emitWithAck('node.live');
      if (!live || !Array.isArray(live.instanceIds) || !Array.isArray(live.sessionIds)) throw new Error('malformed node.live reply');
      await this.handlers?.onConnected(live);
    } catch (err) {
      opts.logger.warn({ err: String(err) }, 'node.reconcile_failed');
    }
  }
}
