import { EVENT, InstanceId, TerminalLanguage } from '@playground/contracts';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
// ssh2 is CommonJS: its classes come from the default export.
import ssh2, { type AuthContext, type Connection, type Server, type ServerChannel } from 'ssh2';
import type { AuditLog } from '../audit.ts';
import type { Db } from '../db.ts';
import type { NodeStreams } from '../gateway/node-streams.ts';
import type { TerminalGateway } from '../gateway/terminal-gateway.ts';
import type { InstanceCommands } from '../instance-commands.ts';
import type { Logger } from '../logger.ts';
import { openForward, type ForwardInstance } from './ssh-forward.ts';
import { SshMetrics, type SshRefusal } from './ssh-metrics.ts';
import { loadHostKey } from './ssh-host-key.ts';
import { notice, serveSession } from './ssh-session.ts';

// `ssh <instanceId>@<host> -p <SSH_PORT>`: the user name is the instance id, and knowing it is
// the capability (as in Play with Docker, and as for the instance's public port URLs), so a
// running instance's id logs in with no password. Everything else is refused after a short
// pause, with the reason shown where the client shows server text (keyboard-interactive).
// Each authenticated connection is a Link owned here: it ends when its client leaves, when it
// stays idle too long, when the gateway closes, or when its instance or session ends (read
// from the record every WATCH_MS, so an instance deleted through any orchestrator replica
// ends its SSH connections here too).

export interface SshGatewayOptions {
  host: string;
  port: number;
  hostKeyPath: string;
  maxConnectionsPerInstance: number;
  idleTimeoutMs: number;
  /** How long a forwarded connection waits for the instance to accept it. */
  connectTimeoutMs: number;
}

export interface SshGatewayDeps {
  db: Db;
  terminals: Pick<TerminalGateway, 'open'>;
  commands: Pick<InstanceCommands, 'exec'>;
  audit: AuditLog;
  logger: Logger;
  /** The orchestrator's metrics registry, where the gateway's counts go. */
  registry: Registry;
  /** Byte streams to instance ports over their nodes' links (`ssh -L`). */
  streams: Pick<NodeStreams, 'open'>;
}

interface AdmittedInstance extends ForwardInstance {
  sessionId: string;
  nodeId: string;
  /** The session's language, for a shell whose client sends no locale. */
  lang?: TerminalLanguage;
}

/** One connection while it logs in. */
interface Login {
  /** The client left or was sent away. */
  over(): boolean;
  /** Logs the connection in to the instance (counted now); false when it is already over. */
  accept(instance: AdmittedInstance): boolean;
  hangUp(): void;
}

/** One authenticated SSH connection to one instance. */
interface Link {
  client: Connection;
  instance: AdmittedInstance;
  lastActivity: number;
  channels: Set<ServerChannel>;
  sockets: Set<Duplex>;
}

/** How often open connections are checked against the record and the idle limit. */
const WATCH_MS = 2_000;
/** Pause before any refusal, so ids cannot be tried quickly. */
const REFUSAL_DELAY_MS = 1_000;
/** Time a client has to log in, as OpenSSH's LoginGraceTime. */
const LOGIN_GRACE_MS = 30_000;
/** How long close() lets connections it ended say goodbye before cutting them. */
const CLOSE_FLUSH_MS = 500;

export class SshGateway {
  private server: NetServer | undefined;
  private readonly links = new Set<Link>();
  /** Every TCP connection, by remote address and port (how ssh2 names its client too). */
  private readonly sockets = new Map<string, { socket: Socket; grace: NodeJS.Timeout }>();
  private readonly perInstance = new Map<string, number>();
  private watchTimer: NodeJS.Timeout | undefined;
  private watching = false;
  private readonly metrics: SshMetrics;

  constructor(
    private readonly deps: SshGatewayDeps,
    private readonly options: SshGatewayOptions,
  ) {
    this.metrics = new SshMetrics(deps.registry, () => this.links.size);
  }

  /** Loads (or makes) the host key and starts accepting connections. */
  async listen(): Promise<AddressInfo & { fingerprint: string }> {
    const { privateKey, fingerprint } = await loadHostKey(this.options.hostKeyPath);
    const ssh = new ssh2.Server({ hostKeys: [privateKey], ident: 'playground', keepaliveInterval: 30_000, keepaliveCountMax: 3 });
    ssh.on('connection', (client, info) => this.onConnection(client, info));
    // The TCP listener is ours and hands each socket to ssh2, so every socket has an owner
    // here, even one that never completes the SSH handshake (ssh2 would not report it).
    const server = createServer((socket) => this.onSocket(socket, ssh));
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`SSH_PORT ${this.options.port} is in use on ${this.options.host}: stop what holds it or set SSH_PORT`, { cause: error }) : error);
      server.once('error', failed);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    server.on('error', (error: Error) => this.deps.logger.error({ err: error }, 'ssh.server_error'));
    this.server = server;
    this.watchTimer = setInterval(() => void this.watch(), WATCH_MS);
    const address = server.address() as AddressInfo;
    this.deps.logger.info({ host: address.address, port: address.port, fingerprint }, 'ssh.listening');
    return { ...address, fingerprint };
  }

  /** Ends every connection (telling logged-in clients why) and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.watchTimer);
    for (const link of this.links) this.end(link, 'The playground is restarting; connect again in a moment.');
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    // A moment for the goodbyes to be sent, then whatever is still open is cut.
    const cut = setTimeout(() => {
      for (const { socket } of this.sockets.values()) socket.destroy();
    }, CLOSE_FLUSH_MS);
    await closed;
    clearTimeout(cut);
  }

  /** A TCP connection: it has LOGIN_GRACE_MS to log in (as OpenSSH's LoginGraceTime), then it is cut. */
  private onSocket(socket: Socket, ssh: Server): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const grace = setTimeout(() => socket.destroy(), LOGIN_GRACE_MS);
    this.sockets.set(key, { socket, grace });
    socket.once('close', () => {
      clearTimeout(grace);
      this.sockets.delete(key);
    });
    ssh.injectSocket(socket);
  }

  /** Where it listens, once listening (SSH_PORT 0 picks a free port). */
  address(): AddressInfo | null {
    return (this.server?.address() as AddressInfo | null | undefined) ?? null;
  }

  private onConnection(client: Connection, { ip, port }: { ip: string; port: number }): void {
    let link: Link | undefined;
    // Set once the client left or was sent away: an auth request still in flight (clients send
    // the next before the answer to the last) must not log in a connection that is gone.
    let over = false;
    const hangUp = () => {
      over = true;
      client.end();
    };
    const login: Login = {
      over: () => over,
      hangUp,
      accept: (instance) => {
        if (over) return false;
        clearTimeout(this.sockets.get(`${ip}:${port}`)?.grace);
        link = this.adopt(client, instance, ip);
        return true;
      },
    };
    client.on('error', (error) => this.deps.logger.debug({ err: error.message, ip }, 'ssh.client_error'));
    client.on('authentication', (ctx) => {
      if (over) return;
      this.authenticate(ctx, login).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, ip }, 'ssh.auth_failed');
        this.metrics.refusals.inc({ reason: 'lookup_failed' });
        if (!over) ctx.reject([]);
      });
    });
    client.on('close', () => {
      over = true;
      if (link) this.release(link);
    });
  }

  /**
   * Accepts the methods that need nothing of the learner when the user name is a running
   * instance's id; refuses anything else, showing the reason through keyboard-interactive
   * (the one method whose text clients display, unless in batch mode), which every refusal leads to.
   */
  private async authenticate(ctx: AuthContext, login: Login): Promise<void> {
    const verdict = await this.admit(ctx.username);
    if (login.over()) return;
    if ('instance' in verdict) {
      if (ctx.method !== 'none' && ctx.method !== 'password' && ctx.method !== 'keyboard-interactive') {
        return ctx.reject(['keyboard-interactive', 'password']);
      }
      // Counted in the same turn as the limit was checked, so two logins cannot both take the last place.
      if (login.accept(verdict.instance)) ctx.accept();
      return;
    }
    this.deps.logger.info({ user: ctx.username.slice(0, 64), method: ctx.method, reason: verdict.reason }, 'ssh.refused');
    this.metrics.refusals.inc({ reason: verdict.reason });
    await sleep(REFUSAL_DELAY_MS);
    if (login.over()) return;
    if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
    // Told once, then the connection ends: clients would otherwise ask again (and wait again).
    ctx.prompt([], 'Playground', verdict.refusal, () => {
      if (login.over()) return;
      ctx.reject([]);
      login.hangUp();
    });
  }

  /** The running instance a user name names, counted against its connection limit, or why not. */
  private async admit(username: string): Promise<{ instance: AdmittedInstance } | { refusal: string; reason: SshRefusal }> {
    const unknown = { reason: 'unknown_instance' as const, refusal: `No running playground instance has the id "${username.slice(0, 64)}". Copy the ssh command shown next to the instance on its session page.` };
    if (!InstanceId.safeParse(username).success) return unknown;
    const record = await this.deps.db.instance.findUnique({
      where: { id: username },
      select: { id: true, hostname: true, ip: true, nodeId: true, sessionId: true, status: true, session: { select: { status: true, language: true } } },
    });
    if (!record || record.status !== 'running' || record.session.status !== 'active' || !record.ip) return unknown;
    const open = this.perInstance.get(record.id) ?? 0;
    if (open >= this.options.maxConnectionsPerInstance) {
      return { reason: 'connection_limit', refusal: `${record.hostname} already has ${open} SSH connections, the most allowed per instance. Close one and try again.` };
    }
    const lang = TerminalLanguage.safeParse(record.session.language);
    return {
      instance: { id: record.id, hostname: record.hostname, ip: record.ip, nodeId: record.nodeId, sessionId: record.sessionId, lang: lang.success ? lang.data : undefined },
    };
  }

  /** The connection logged in: it is counted, audited, and its channels are served. */
  private adopt(client: Connection, instance: AdmittedInstance, ip: string): Link {
    const link: Link = { client, instance, lastActivity: Date.now(), channels: new Set(), sockets: new Set() };
    this.links.add(link);
    this.perInstance.set(instance.id, (this.perInstance.get(instance.id) ?? 0) + 1);
    this.metrics.logins.inc();
    void this.deps.audit.record(EVENT.instanceSshConnected, {
      sessionId: instance.sessionId,
      instanceId: instance.id,
      nodeId: instance.nodeId,
      data: { client: ip },
    });
    const touch = () => (link.lastActivity = Date.now());
    client.on('session', (accept) =>
      serveSession(accept(), {
        target: { sessionId: instance.sessionId, instanceId: instance.id, nodeId: instance.nodeId, lang: instance.lang },
        terminals: this.deps.terminals,
        exec: (command) => this.deps.commands.exec(instance.sessionId, instance.id, command),
        touch,
        track: (channel) => {
          link.channels.add(channel);
          channel.on('close', () => link.channels.delete(channel));
        },
      }),
    );
    client.on('tcpip', (accept, reject, info) => {
      const connect = (port: number) =>
        this.deps.streams.open({ nodeId: instance.nodeId, instanceId: instance.id, port, connectTimeoutMs: this.options.connectTimeoutMs });
      const track = (socket: Duplex) => {
        link.sockets.add(socket);
        socket.on('close', () => link.sockets.delete(socket));
      };
      const { refusal } = openForward(info, instance, connect, { accept, reject }, touch, track);
      if (refusal) {
        this.deps.logger.info({ instanceId: instance.id, dest: `${info.destIP}:${info.destPort}`, refusal }, 'ssh.forward_refused');
        this.metrics.refusals.inc({ reason: 'forward_destination' });
      }
    });
    // Remote forwarding (-R) and UNIX sockets would expose the learner's machine or the node's.
    client.on('request', (_accept, reject) => reject?.());
    client.on('openssh.streamlocal', (_accept, reject) => reject());
    return link;
  }

  private release(link: Link): void {
    if (!this.links.delete(link)) return;
    for (const socket of link.sockets) socket.destroy();
    const left = (this.perInstance.get(link.instance.id) ?? 1) - 1;
    if (left <= 0) this.perInstance.delete(link.instance.id);
    else this.perInstance.set(link.instance.id, left);
    this.deps.logger.debug({ instanceId: link.instance.id }, 'ssh.disconnected');
  }

  /** Ends a connection from this side, telling each open shell or command why. */
  private end(link: Link, reason: string): void {
    for (const channel of link.channels) notice(channel, reason, true);
    this.deps.logger.info({ instanceId: link.instance.id, reason }, 'ssh.closed');
    this.release(link);
    link.client.end();
  }

  /** Ends the connections whose instance or session ended, and those idle too long. */
  private async watch(): Promise<void> {
    if (this.watching || this.links.size === 0) return;
    this.watching = true;
    try {
      const now = Date.now();
      for (const link of this.links) {
        if (now - link.lastActivity > this.options.idleTimeoutMs) this.end(link, 'Closed after a long time without any traffic.');
      }
      const ids = [...new Set([...this.links].map((link) => link.instance.id))];
      const records = await this.deps.db.instance.findMany({
        where: { id: { in: ids } },
        select: { id: true, status: true, session: { select: { status: true } } },
      });
      const byId = new Map(records.map((record) => [record.id, record]));
      for (const link of this.links) {
        const record = byId.get(link.instance.id);
        if (record?.session.status !== 'active') this.end(link, 'The session has ended.');
        else if (record.status !== 'running') this.end(link, `The instance is no longer running (it is ${record.status}).`);
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'ssh.watch_failed');
    } finally {
      this.watching = false;
    }
  }
}
