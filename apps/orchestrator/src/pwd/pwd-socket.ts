import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TextDecoder } from 'node:util';
import { PWD_EVENT, PwdFrame, PwdResizeArgs, PwdTerminalInArgs, SessionId } from '@playground/contracts';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Db } from '../db.ts';
import type { TerminalGateway, TerminalHandle } from '../gateway/terminal-gateway.ts';
import type { Instance } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { pwdVisible } from './pwd-views.ts';

// Play with Docker's plain WebSocket, `/sessions/<id>/ws/`: every text frame is one
// `{ name, args }` object. One socket carries the terminals of all the session's instances,
// each a viewer of the same shell our own page shows (TerminalGateway.open), so a reconnect
// finds the same shells with their screens. Instances appearing or going, and the session's
// end, are read from the record every SESSION_WATCH_MS and told as PWD's events.
//
// Any origin may connect (PWD tutorials live on other sites); what it reaches is bounded by
// the session id, which is unguessable, exactly as for the session's own page.

const WS_PATH = /^\/sessions\/([^/?]+)\/ws\/?(?:\?.*)?$/;
/** How often a socket re-reads its session: new and deleted instances, the session's end. */
const SESSION_WATCH_MS = 1_000;
/** How often held terminal acknowledgements are checked against the socket's send buffer. */
const DRAIN_CHECK_MS = 100;
/** Unsent bytes beyond which a socket counts as behind (terminal output then pauses on the node). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

interface Watched {
  terminal: TerminalHandle;
  decoder: TextDecoder;
}

export class PwdSockets {
  private readonly server: WebSocketServer;

  constructor(
    private readonly db: Db,
    private readonly terminals: TerminalGateway,
    private readonly logger: Logger,
    maxFrameBytes: number,
  ) {
    // noServer: the orchestrator's HTTP server hands over only the upgrades of WS_PATH.
    this.server = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes });
  }

  handles(req: IncomingMessage): boolean {
    return WS_PATH.test(req.url ?? '');
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const sessionId = WS_PATH.exec(req.url ?? '')?.[1] ?? '';
    void this.activeSession(sessionId).then(
      (active) => {
        if (!active) return refuse(socket, 404, 'No such session, or it has ended.');
        this.server.handleUpgrade(req, socket, head, (ws) => this.serve(ws, sessionId));
      },
      (error: unknown) => {
        this.logger.warn({ err: (error as Error)?.message }, 'pwd.ws_upgrade_failed');
        refuse(socket, 503, 'The playground cannot open this session right now.');
      },
    );
  }

  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private async activeSession(sessionId: string): Promise<boolean> {
    if (!SessionId.safeParse(sessionId).success) return false;
    const session = await this.db.session.findUnique({ where: { id: sessionId }, select: { status: true } });
    return session?.status === 'active';
  }

  private serve(ws: WebSocket, sessionId: string): void {
    const open = new Map<string, Watched>();
    let size: { cols: number; rows: number } | undefined;
    let ended = false;
    const send = (name: string, ...args: unknown[]) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ name, args }));
    };

    const attach = (instance: Instance) => {
      const decoder = new TextDecoder();
      const terminal = this.terminals.open(
        { sessionId, instanceId: instance.id, nodeId: instance.nodeId, size },
        {
          output: (data) => send(PWD_EVENT.terminalOut, instance.id, typeof data === 'string' ? data : decoder.decode(data, { stream: true })),
          // The shell went away: say why in its terminal; the watch re-attaches it if it comes back.
          exit: ({ reason }) => {
            open.delete(instance.id);
            send(PWD_EVENT.terminalOut, instance.id, `\r\n\x1b[33m[playground] ${reason}\x1b[0m\r\n`);
          },
          backlogged: () => ws.bufferedAmount > MAX_BUFFERED_BYTES,
        },
      );
      open.set(instance.id, { terminal, decoder });
    };

    /** Reads the session: attaches what is new (telling the client unless it is the first read), tells what went. */
    let known = new Set<string>();
    let first = true;
    const watch = async () => {
      const session = await this.db.session.findUnique({ where: { id: sessionId }, select: { status: true } });
      if (session?.status !== 'active') return end();
      const instances = (await this.db.instance.findMany({ where: { sessionId }, orderBy: { createdAt: 'asc' } })).filter(pwdVisible);
      const now = new Set(instances.map((instance) => instance.id));
      for (const instance of instances) {
        if (!known.has(instance.id) && !first) send(PWD_EVENT.instanceNew, instance.id, instance.ip, instance.hostname, instance.id);
        if (!open.has(instance.id)) attach(instance);
      }
      for (const id of known) {
        if (now.has(id)) continue;
        open.get(id)?.terminal.detach();
        open.delete(id);
        send(PWD_EVENT.instanceDelete, id);
      }
      known = now;
      first = false;
    };

    const end = () => {
      if (ended) return;
      ended = true;
      send(PWD_EVENT.sessionEnd);
      ws.close(1000, 'session ended');
    };

    // Frames are handled in order once the first read attached the session's terminals.
    const firstRead = watch().catch((error: unknown) => this.logger.warn({ err: (error as Error)?.message, sessionId }, 'pwd.watch_failed'));
    const handle = (frame: PwdFrame) => {
      if (frame.name === PWD_EVENT.terminalIn) {
        const args = PwdTerminalInArgs.safeParse(frame.args);
        if (args.success) open.get(args.data[0])?.terminal.input(args.data[1]);
      } else if (frame.name === PWD_EVENT.viewportResize) {
        const args = PwdResizeArgs.safeParse(frame.args);
        if (!args.success) return;
        size = { cols: args.data[0], rows: args.data[1] };
        for (const { terminal } of open.values()) terminal.resize(size);
      } else if (frame.name === PWD_EVENT.sessionClose) {
        ws.close(1000, 'closed by the client');
      }
    };
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const frame = isBinary ? null : parseFrame(raw);
      if (frame) void firstRead.then(() => handle(frame));
    });

    const drainTimer = setInterval(() => {
      if (ws.bufferedAmount <= MAX_BUFFERED_BYTES) for (const { terminal } of open.values()) terminal.drained();
    }, DRAIN_CHECK_MS);
    let watching = false;
    const watchTimer = setInterval(() => {
      if (watching) return;
      watching = true;
      watch()
        .catch((error: unknown) => this.logger.debug({ err: (error as Error)?.message, sessionId }, 'pwd.watch_failed'))
        .finally(() => (watching = false));
    }, SESSION_WATCH_MS);
    ws.on('close', () => {
      clearInterval(drainTimer);
      clearInterval(watchTimer);
      for (const { terminal } of open.values()) terminal.detach();
      open.clear();
    });
    ws.on('error', (error) => this.logger.debug({ err: error.message, sessionId }, 'pwd.ws_error'));
  }
}

/** One text frame as `{ name, args }`, or null for anything else (ignored, never fatal). */
function parseFrame(raw: RawData): PwdFrame | null {
  try {
    const parsed = PwdFrame.safeParse(JSON.parse(raw.toString()));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function refuse(socket: Duplex, status: 404 | 503, message: string): void {
  const body = JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'unavailable', message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
