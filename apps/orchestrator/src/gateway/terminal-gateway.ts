import {
  MAIN_SHELL,
  TERMINAL_NAMESPACE,
  TerminalAuth,
  TerminalWatchAuth,
  TerminalInput,
  TerminalSize,
  type AttachReply,
  type TerminalExitInfo,
  type TerminalLanguage,
  type TerminalClientToServer,
  type TerminalServerToClient,
} from '@playground/contracts';
import { randomUUID } from 'node:crypto';
import type { Namespace, Server, Socket } from 'socket.io';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import { SESSION_LOST_MESSAGE } from '../session-lost.ts';
import type { TerminalExits } from '../terminal-exits.ts';
import type { AgentLinks, AgentListener, AgentSocket } from './agent-links.ts';
import { EventBudget } from './event-budget.ts';
import type { AgentLink, NodeLinks, RelayedOutput } from './node-links.ts';

// Terminals: one viewer = one client's view of one instance's shell, relayed between the
// client and the instance's node agent. `/terminal` (Socket.IO) is the browser's door: one
// socket, one viewer, authorised at the handshake; the Play with Docker WebSocket opens
// viewers through `open` too. Flow control: the agent's `terminal.output` is acknowledged
// only once the client's write buffer is short again, so a slow client makes the agent
// pause the shell instead of growing a buffer here.
// Replicas: the client's socket and the node's agent link may be on different orchestrator
// replicas. Input goes to the agent through NodeLinks; output the agent sends to a replica
// that does not hold the viewer is passed on to the others (`viewer.output`), and the one
// holding it answers the acknowledgement once its client caught up. Same-replica terminals
// take the direct path, with no Redis hop.

interface ViewerData {
  sessionId: string;
  instanceId: string;
  nodeId: string;
  /** Which of the instance's shells (contracts' ShellNumber); absent: the main one (a watcher, SSH and Play with Docker clients always use it). */
  shell?: number;
  size?: { cols: number; rows: number };
  /** The page's language, for the welcome text of a shell this viewer starts. */
  lang?: TerminalLanguage;
  /** Set for an instructor's read-only view (workshops/watch-access.ts). */
  watcher?: { canType: boolean };
}

/**
 * Decides whether a handshake may watch an instance's terminal (an instructor of the
 * learner's workshop, or the admin), and whether it may type right now.
 */
export interface WatchAccess {
  authorize(
    request: { headers: import('node:http').IncomingHttpHeaders; method: string },
    instanceId: string,
    token: string | undefined,
  ): Promise<{ sessionId: string; nodeId: string; canType: boolean }>;
}

/** Who uses which terminals, for a workshop's dashboard (connected, last activity, watched). */
export interface TerminalActivity {
  learnerConnected(sessionId: string): void;
  learnerDisconnected(sessionId: string): void;
  learnerTyped(sessionId: string): void;
}
type BrowserSocket = Socket<TerminalClientToServer, TerminalServerToClient, Record<string, never>, ViewerData>;
type TerminalNamespace = Namespace<TerminalClientToServer, TerminalServerToClient, Record<string, never>, ViewerData>;

/**
 * Where a viewer's terminal is shown: a browser's Socket.IO socket (`/terminal`), or one
 * instance of a Play with Docker WebSocket (pwd/pwd-socket.ts). The gateway only writes to it.
 */
export interface TerminalSink {
  output(data: string | Uint8Array): void;
  /** A watcher's input was refused, or its permission to type changed (browser sockets only). */
  control?(info: { canType: boolean; reason: string; refused?: boolean }): void;
  /** The terminal ended (the sink closes itself); `retryable` when reconnecting may bring it back. */
  exit(info: TerminalExitInfo): void;
  /** True while the client is behind: output acknowledgements are held until it catches up. */
  backlogged(): boolean;
}

/** A terminal open on an instance's shell, as its client drives it. */
export interface TerminalHandle {
  input(data: unknown): void;
  resize(size: unknown): void;
  /** The client caught up: release held acknowledgements. */
  drained(): void;
  /** Ends the viewer's extra shell on its node (a closed tab); the main shell stays. */
  closeShell(): void;
  detach(): void;
}

interface Viewer {
  id: string;
  sink: TerminalSink;
  nodeId: string;
  sessionId: string;
  instanceId: string;
  shell: number;
  /** Acks held back until the client's write buffer drains. */
  pendingAcks: Array<() => void>;
  /** Kinds of dropped events this viewer was already told about (told once each). */
  noticed: Set<DropKind>;
  inputBudget: EventBudget;
  resizeBudget: EventBudget;
  /** Input typed before the node confirmed the attach, sent once it has (a click-to-run right after connecting). */
  earlyInput: string[] | undefined;
  /** An instructor watching: input reaches the shell only while `canType` (the learner granted help). */
  watcher?: { canType: boolean; refusedAt: number };
  /** The agent link the viewer was attached through, once the node confirmed the attach. */
  link: AgentLink | undefined;
  /** The learner's page language (the welcome text of a shell this viewer starts). */
  lang?: TerminalLanguage;
}

/** A watcher typing without permission is told why at most this often. */
const REFUSAL_NOTICE_INTERVAL_MS = 2_000;
const WATCH_REFUSED = 'You are watching read-only. The learner must accept your request to help before you can type.';

/** Characters of early input kept per viewer; more is dropped like any oversize input. */
const EARLY_INPUT_MAX = 64 * 1024;

/** How fast one browser connection may send terminal events; more are dropped, not queued. */
export interface TerminalEventLimits {
  inputPerSecond: number;
  resizePerSecond: number;
  /** Shells one instance may have (the main one included); shell numbers at or above it are refused. */
  shellsPerInstance: number;
}

type DropKind = 'input_oversize' | 'input_rate' | 'resize_rate';

/** What the viewer reads in their terminal the first time events of a kind are dropped. */
const DROP_NOTICES: Record<DropKind, string> = {
  input_oversize: `input larger than ${TerminalInput.maxLength ?? 65536} characters in one piece was dropped.`,
  input_rate: 'typing faster than the terminal accepts: some input was dropped.',
  resize_rate: 'the terminal is being resized too often: some resizes were ignored.',
};

/** Packets that may wait in a browser's engine write buffer before we stop acknowledging. */
export const MAX_BUFFERED_PACKETS = 16;
const ATTACH_TIMEOUT_MS = 10_000;
/** How long a new terminal waits for its node's agent link before it is refused (retryable). */
const AGENT_WAIT_MS = 5_000;
/** How a remote viewer's link is told apart from this replica's links (which carry their socket id). */
const REMOTE_LINK = 'remote';

function relayed(data: string | Uint8Array): RelayedOutput {
  return typeof data === 'string' ? data : { base64: Buffer.from(data).toString('base64') };
}

function unrelayed(data: RelayedOutput): string | Uint8Array {
  return typeof data === 'string' ? data : Buffer.from(data.base64, 'base64');
}

/** A refusal the browser should retry by itself (Socket.IO hands `data` to the client's connect_error). */
function retryableError(message: string): Error {
  return Object.assign(new Error(message), { data: { retryable: true } });
}

/** engine.io keeps packets the transport has not taken yet here; its typings mark it private. */
function bufferedPackets(socket: BrowserSocket): number {
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}

export class TerminalGateway implements TerminalExits, AgentListener {
  private readonly viewers = new Map<string, Viewer>();
  private readonly namespace: TerminalNamespace;
  private readonly activity: TerminalActivity[] = [];

  constructor(
    io: Server,
    private readonly db: Db,
    agents: Pick<AgentLinks, 'subscribe'>,
    private readonly links: NodeLinks,
    private readonly logger: Logger,
    private readonly limits: TerminalEventLimits,
    private readonly watchAccess?: WatchAccess,
  ) {
    this.namespace = io.of(TERMINAL_NAMESPACE) as TerminalNamespace;
    this.namespace.use((socket, next) => {
      this.authorize(socket)
        .then(() => next())
        .catch((error: unknown) => next(error instanceof Error ? error : new Error(String(error))));
    });
    this.namespace.on('connection', (socket) => void this.onConnection(socket));
    agents.subscribe(this);
    links.onReplicaEvent('viewer.output', (viewerId, data, ack) => this.remoteOutput(viewerId, data, ack));
    links.onReplicaEvent('viewer.exit', (viewerId, info) => {
      const viewer = this.viewers.get(viewerId);
      if (viewer) this.end(viewer, info?.reason ?? 'The shell ended.', info?.code ?? null);
    });
    links.onReplicaEvent('node.linked', (nodeId) => this.linkGone(nodeId, REMOTE_LINK));
    links.onReplicaEvent('node.unlinked', (nodeId) => this.linkGone(nodeId, REMOTE_LINK));
  }

  /** Who is told about learners' terminals opening, closing and being typed in. */
  onActivity(listener: TerminalActivity): void {
    this.activity.push(listener);
  }

  private async authorize(socket: BrowserSocket): Promise<void> {
    const watch = TerminalWatchAuth.safeParse(socket.handshake.auth);
    if (watch.success) return this.authorizeWatcher(socket, watch.data);
    const auth = TerminalAuth.safeParse(socket.handshake.auth);
    if (!auth.success) throw new Error('This terminal needs a valid sessionId and instanceId.');
    const instance = await this.db.instance.findUnique({
      where: { id: auth.data.instanceId },
      select: { sessionId: true, nodeId: true, status: true, session: { select: { status: true } } },
    });
    if (!instance || instance.sessionId !== auth.data.sessionId) {
      throw new Error('This instance does not belong to this session.');
    }
    if (instance.session.status === 'lost') throw new Error(SESSION_LOST_MESSAGE);
    if (instance.session.status !== 'active') throw new Error('This session has ended.');
    if (instance.status !== 'running') throw new Error(`This instance is not running (it is ${instance.status}).`);
    const shell = auth.data.shell ?? MAIN_SHELL;
    if (shell >= this.limits.shellsPerInstance) {
      const max = this.limits.shellsPerInstance;
      throw new Error(`An instance can have at most ${max} shell${max === 1 ? '' : 's'} open. Close a tab to open another.`);
    }
    if (!(await this.links.waitForLink(instance.nodeId, AGENT_WAIT_MS))) {
      throw retryableError('The node of this instance is not connected right now. Retrying…');
    }
    const size = auth.data.cols && auth.data.rows ? { cols: auth.data.cols, rows: auth.data.rows } : undefined;
    socket.data = { sessionId: auth.data.sessionId, instanceId: auth.data.instanceId, nodeId: instance.nodeId, shell, size, lang: auth.data.lang };
  }

  private async authorizeWatcher(socket: BrowserSocket, auth: TerminalWatchAuth): Promise<void> {
    if (!this.watchAccess) throw new Error('Watching terminals is not available here.');
    const handshake = { headers: socket.handshake.headers, method: 'GET' };
    const access = await this.watchAccess.authorize(handshake, auth.instanceId, auth.token).catch((error: unknown) => {
      throw new Error(error instanceof Error ? error.message : 'You may not watch this terminal.');
    });
    if (!(await this.links.waitForLink(access.nodeId, AGENT_WAIT_MS))) {
      throw retryableError('The node of this instance is not connected right now. Retrying…');
    }
    socket.data = { sessionId: access.sessionId, instanceId: auth.instanceId, nodeId: access.nodeId, watcher: { canType: access.canType } };
  }

  private onConnection(socket: BrowserSocket): void {
    const { sessionId, instanceId, nodeId, shell, size, lang, watcher } = socket.data;
    const terminal = this.open({ sessionId, instanceId, nodeId, shell, size, lang, watcher }, {
      output: (data) => socket.emit('output', data),
      control: (info) => (info.refused ? socket.emit('inputRefused', { reason: info.reason }) : socket.emit('control', { canType: info.canType, reason: info.reason })),
      exit: (info) => {
        socket.emit('exit', info.retryable ? info : { code: info.code, reason: info.reason, idleMinutes: info.idleMinutes });
        socket.disconnect();
      },
      backlogged: () => bufferedPackets(socket) > MAX_BUFFERED_PACKETS,
    });
    socket.conn.on('drain', () => terminal.drained());
    socket.on('input', (data) => terminal.input(data));
    socket.on('resize', (raw) => terminal.resize(raw));
    socket.on('closeShell', () => terminal.closeShell());
    socket.on('disconnect', () => terminal.detach());
  }

  /**
   * Opens a terminal on the instance's shell for a client that was authorised for it, and
   * attaches it on the instance's node. Every client (a browser's /terminal socket, a Play
   * with Docker WebSocket) reaches the same shells this way, with the same limits.
   */
  open(
    target: ViewerData,
    sink: TerminalSink,
  ): TerminalHandle {
    const { instanceId, nodeId } = target;
    const viewer: Viewer = {
      id: randomUUID(),
      sink,
      nodeId,
      sessionId: target.sessionId,
      instanceId,
      shell: target.watcher ? MAIN_SHELL : (target.shell ?? MAIN_SHELL),
      pendingAcks: [],
      noticed: new Set(),
      inputBudget: new EventBudget(this.limits.inputPerSecond),
      resizeBudget: new EventBudget(this.limits.resizePerSecond),
      earlyInput: [],
      link: undefined,
      watcher: target.watcher ? { canType: target.watcher.canType, refusedAt: 0 } : undefined,
      lang: target.lang,
    };
    this.viewers.set(viewer.id, viewer);
    // A watcher never sizes the learner's shell: the learner's window decides.
    void this.attach(viewer, viewer.watcher ? undefined : target.size);
    if (viewer.watcher) sink.control?.({ canType: viewer.watcher.canType, reason: viewer.watcher.canType ? 'The learner lets you type.' : WATCH_REFUSED });
    else for (const listener of this.activity) listener.learnerConnected(viewer.sessionId);
    return {
      input: (data) => {
        if (typeof data !== 'string' || !this.viewers.has(viewer.id)) return;
        if (viewer.watcher && !viewer.watcher.canType) return this.refuseWatcherInput(viewer);
        if (!viewer.watcher) for (const listener of this.activity) listener.learnerTyped(viewer.sessionId);
        if (!TerminalInput.safeParse(data).success) return this.dropped(viewer, 'input_oversize');
        if (!viewer.inputBudget.take()) return this.dropped(viewer, 'input_rate');
        if (viewer.earlyInput) {
          if (viewer.earlyInput.reduce((sum, piece) => sum + piece.length, data.length) > EARLY_INPUT_MAX) return this.dropped(viewer, 'input_oversize');
          viewer.earlyInput.push(data);
          return;
        }
        viewer.link?.emit('terminal.input', viewer.id, data);
      },
      resize: (raw) => {
        const parsed = TerminalSize.safeParse(raw);
        if (!parsed.success || !this.viewers.has(viewer.id) || viewer.watcher) return;
        if (!viewer.resizeBudget.take()) return this.dropped(viewer, 'resize_rate');
        viewer.link?.emit('terminal.resize', viewer.id, parsed.data);
      },
      drained: () => this.releaseAcks(viewer),
      closeShell: () => {
        if (this.viewers.has(viewer.id) && !viewer.watcher && viewer.shell !== MAIN_SHELL) viewer.link?.emit('terminal.close', viewer.id);
      },
      detach: () => {
        if (!this.viewers.delete(viewer.id)) return;
        this.viewerLeft(viewer);
        viewer.link?.emit('terminal.detach', viewer.id);
        this.flushAcks(viewer);
        this.logger.debug({ viewerId: viewer.id, instanceId }, 'terminal.detached');
      },
    };
  }

  /** The learner granted (or revoked) help: their watchers may type (or not) from now on. */
  setWatcherControl(sessionId: string, canType: boolean, reason: string): void {
    for (const viewer of this.viewers.values()) {
      if (viewer.sessionId !== sessionId || !viewer.watcher) continue;
      viewer.watcher.canType = canType;
      viewer.sink.control?.({ canType, reason });
    }
  }

  /** Whether an instructor is watching a terminal of this session right now. */
  watched(sessionId: string): boolean {
    for (const viewer of this.viewers.values()) if (viewer.sessionId === sessionId && viewer.watcher) return true;
    return false;
  }

  private refuseWatcherInput(viewer: Viewer): void {
    const now = Date.now();
    if (now - viewer.watcher!.refusedAt < REFUSAL_NOTICE_INTERVAL_MS) return;
    viewer.watcher!.refusedAt = now;
    viewer.sink.control?.({ canType: false, reason: WATCH_REFUSED, refused: true });
  }

  private viewerLeft(viewer: Viewer): void {
    if (!viewer.watcher) for (const listener of this.activity) listener.learnerDisconnected(viewer.sessionId);
  }

  private async attach(viewer: Viewer, size: { cols: number; rows: number } | undefined): Promise<void> {
    const { instanceId, nodeId, shell } = viewer;
    const agent = await this.links.waitForLink(nodeId, 0);
    if (!agent) return this.end(viewer, 'The node of this instance is not connected right now. Reconnecting…', null, true);
    let reply: AttachReply;
    try {
      reply = await agent.timeout(ATTACH_TIMEOUT_MS).emitWithAck('terminal.attach', { viewerId: viewer.id, instanceId, shell, size, lang: viewer.lang, followsSize: viewer.watcher ? true : undefined });
    } catch {
      reply = { ok: false, code: 'timeout', message: 'The node did not answer in time.' };
    }
    if (!reply.ok) {
      this.logger.warn({ instanceId, code: reply.code, message: reply.message }, 'terminal.attach_failed');
      if (reply.idleMinutes !== undefined) {
        return this.end(viewer, `The shell of this tab was closed after ${reply.idleMinutes} minutes with nobody using it. Restart opens a new one.`, null, false, reply.idleMinutes);
      }
      return this.end(viewer, `Could not open the terminal: ${reply.message}`);
    }
    this.logger.debug({ viewerId: viewer.id, instanceId }, 'terminal.attached');
    // Left while the attach was on its way: the node must not keep the viewer.
    if (!this.viewers.has(viewer.id)) {
      agent.emit('terminal.detach', viewer.id);
      return;
    }
    viewer.link = agent;
    const early = viewer.earlyInput ?? [];
    viewer.earlyInput = undefined;
    for (const data of early) agent.emit('terminal.input', viewer.id, data);
  }

  agentConnected(nodeId: string, socket: AgentSocket): void {
    // The agent let go of every viewer when its previous link dropped, wherever that was.
    this.linkGone(nodeId, socket.id);
    socket.on('terminal.output', (viewerId, data, ack) => {
      const viewer = this.viewers.get(viewerId);
      // The agent asks for an ack only now and then (acks are cumulative); most chunks have none.
      const done = typeof ack === 'function' ? ack : undefined;
      if (!viewer) return this.relayOutput(socket, viewerId, data, done);
      // Output for a viewer of another node: acknowledge so the agent's window never stalls on it.
      if (viewer.nodeId !== nodeId) return done?.();
      viewer.sink.output(data);
      if (!done) return;
      if (!viewer.sink.backlogged()) done();
      else viewer.pendingAcks.push(done);
    });
    socket.on('terminal.exit', (viewerId, info) => {
      const viewer = this.viewers.get(viewerId);
      if (!viewer) this.links.toOtherReplicas('viewer.exit', viewerId, info);
      else if (viewer.nodeId === nodeId) this.end(viewer, info?.reason ?? 'The shell ended.', info?.code ?? null);
    });
  }

  /**
   * Output for a viewer this replica does not hold: the replica holding it (if any) shows it.
   * An acknowledged chunk waits for that replica's answer, so flow control holds across
   * replicas; when no replica holds the viewer (its replica died), the node lets it go.
   */
  private relayOutput(agent: AgentSocket, viewerId: string, data: string | Uint8Array, done: (() => void) | undefined): void {
    if (!done) {
      this.links.toOtherReplicas('viewer.output', viewerId, relayed(data));
      return;
    }
    this.links.askOtherReplicas<boolean>('viewer.output', [viewerId, relayed(data)], (error, held) => {
      done();
      if (!error && !held.includes(true)) agent.emit('terminal.detach', viewerId);
    });
  }

  /** Output another replica relayed from its agent link, for a viewer that may be here. */
  private remoteOutput(viewerId: string, data: RelayedOutput, ack: ((held: boolean) => void) | undefined): void {
    const viewer = this.viewers.get(viewerId);
    if (!viewer) return ack?.(false);
    viewer.sink.output(unrelayed(data));
    if (!ack) return;
    if (!viewer.sink.backlogged()) ack(true);
    else viewer.pendingAcks.push(() => ack(true));
  }

  /**
   * The node's agent has a new link (`keep`), or its link on another replica dropped
   * (`REMOTE_LINK`): viewers attached through any other link are gone on the node, and
   * reconnect (the agent replays their screen).
   */
  private linkGone(nodeId: string, keep: string): void {
    for (const viewer of this.viewers.values()) {
      if (viewer.nodeId !== nodeId || !viewer.link) continue;
      const via = viewer.link.localId ?? REMOTE_LINK;
      if (keep === REMOTE_LINK ? via === REMOTE_LINK : via !== keep) {
        this.end(viewer, 'The connection to the node was lost. Reconnecting…', null, true);
      }
    }
  }

  agentDisconnected(nodeId: string): void {
    for (const viewer of this.viewers.values()) {
      if (viewer.nodeId === nodeId) this.end(viewer, 'The connection to the node was lost. Reconnecting…', null, true);
    }
  }

  exitSession(sessionId: string, reason: string): void {
    for (const viewer of this.viewers.values()) if (viewer.sessionId === sessionId) this.end(viewer, reason);
  }

  exitInstance(instanceId: string, reason: string): void {
    for (const viewer of this.viewers.values()) if (viewer.instanceId === instanceId) this.end(viewer, reason);
  }

  noticeInstance(instanceId: string, text: string): void {
    // Yellow, on a line of its own, so it reads as the playground speaking, not the shell.
    const line = `\r\n\x1b[33m[playground] ${text}\x1b[0m\r\n`;
    for (const viewer of this.viewers.values()) if (viewer.instanceId === instanceId) viewer.sink.output(line);
  }

  viewerCount(): number {
    return this.viewers.size;
  }

  /** A dropped event: the viewer reads why in their terminal, once per kind, so a flood cannot become an output flood. */
  private dropped(viewer: Viewer, kind: DropKind): void {
    if (viewer.noticed.has(kind)) return;
    viewer.noticed.add(kind);
    this.logger.info({ viewerId: viewer.id, instanceId: viewer.instanceId, kind }, 'terminal.events_dropped');
    viewer.sink.output(`\r\n\x1b[33m[playground] ${DROP_NOTICES[kind]}\x1b[0m\r\n`);
  }

  private releaseAcks(viewer: Viewer): void {
    if (!viewer.sink.backlogged()) this.flushAcks(viewer);
  }

  private flushAcks(viewer: Viewer): void {
    const acks = viewer.pendingAcks.splice(0);
    for (const ack of acks) ack();
  }

  /** Ends a viewer from this side: the client is told why, and its shell is let go on the node. */
  private end(viewer: Viewer, reason: string, code: number | null = null, retryable = false, idleMinutes?: number): void {
    if (!this.viewers.delete(viewer.id)) return;
    this.viewerLeft(viewer);
    viewer.link?.emit('terminal.detach', viewer.id);
    this.flushAcks(viewer);
    viewer.sink.exit({ code, reason, retryable, idleMinutes });
  }
}
