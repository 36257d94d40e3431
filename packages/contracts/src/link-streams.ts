import { createConnection, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { z } from 'zod';

// Byte streams over the agent link: TCP-like two-way streams multiplexed over the one
// Socket.IO connection a node agent dials out to the orchestrator, so a node needs no route
// from the orchestrator to its instances. The orchestrator opens a stream to (instance, port);
// the agent connects to that port on its own host and pipes both ways.
//
// Flow control is a credit window per stream and direction: a sender keeps at most
// STREAM_WINDOW_BYTES unacknowledged, and a receiver acknowledges a chunk only once its reader
// took it (push() returned true, or the next _read()). A slow reader therefore stops the
// sender's writes, which stops whatever feeds the sender (pipe back-pressure), and no buffer
// on either side grows past about one window. A sender that ignores the window is cut.
//
// Events on the link (both directions unless said): `stream.open` (orchestrator → agent, with
// an acknowledgement carrying StreamOpenReply), `stream.data` (id, bytes, ack), `stream.end`
// (id: no more bytes from this side, a TCP FIN), `stream.close` (id, reason or null: gone,
// a TCP RST). Everything received is validated; unknown stream ids are ignored.

/** Largest chunk on the link; bigger writes are cut into pieces this size. */
export const STREAM_CHUNK_MAX_BYTES = 64 * 1024;
/** Bytes one side may have sent on a stream and not yet had acknowledged. */
export const STREAM_WINDOW_BYTES = 256 * 1024;
/** Received bytes a stream may hold unacknowledged before its sender counts as misbehaving. */
const RECEIVE_LIMIT_BYTES = STREAM_WINDOW_BYTES + STREAM_CHUNK_MAX_BYTES;

export const StreamId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** What the orchestrator asks the agent to connect to. The agent finds the address itself. */
export const PortStreamOpen = z.object({
  streamId: StreamId,
  instanceId: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65535),
  /** How long the agent may take to connect before it answers `connect_timeout`. */
  connectTimeoutMs: z.number().int().positive().max(120_000),
});
export type PortStreamOpen = z.infer<typeof PortStreamOpen>;

/**
 * An image name as `docker save` takes it (name[:tag] or name@digest). It starts with a letter
 * or digit, so it can never be read as an option of the command it is passed to.
 */
export const ImageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'not an image name');

/** An archive the agent streams out of an instance ("Download my work"). */
export const InstanceArchive = z.discriminatedUnion('what', [
  /** A tarball of the learner's home, /root. */
  z.object({ what: z.literal('home') }),
  /** `docker save` of images in the instance's own engine. */
  z.object({ what: z.literal('images'), images: z.array(ImageName).min(1).max(16) }),
]);
export type InstanceArchive = z.infer<typeof InstanceArchive>;

/** Instead of a port, an archive made by the agent: the stream carries its bytes, then ends. */
export const ArchiveStreamOpen = z.object({
  streamId: StreamId,
  instanceId: z.string().min(1).max(64),
  archive: InstanceArchive,
  /** How long the agent may take to start the archive before it answers `connect_timeout`. */
  connectTimeoutMs: z.number().int().positive().max(120_000),
});
export type ArchiveStreamOpen = z.infer<typeof ArchiveStreamOpen>;

export const StreamOpenRequest = z.union([PortStreamOpen, ArchiveStreamOpen]);
export type StreamOpenRequest = z.infer<typeof StreamOpenRequest>;

/** Why a stream could not be opened; `not_connected` is the orchestrator's own (no agent link). */
export const STREAM_OPEN_FAILURES = ['not_connected', 'not_found', 'port_forbidden', 'connect_timeout', 'refused', 'too_many_streams', 'bad_request'] as const;
export type StreamOpenFailure = (typeof STREAM_OPEN_FAILURES)[number];
export type StreamOpenReply = { ok: true } | { ok: false; code: StreamOpenFailure; message: string };

/** A stream that could not be opened: `code` says why (see STREAM_OPEN_FAILURES). */
export class StreamOpenError extends Error {
  constructor(
    readonly code: StreamOpenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'StreamOpenError';
  }
}

/** The events the streams use on a link, in both directions. */
export interface StreamEvents {
  'stream.data': (streamId: string, chunk: Uint8Array, ack: () => void) => void;
  'stream.end': (streamId: string) => void;
  'stream.close': (streamId: string, reason: string | null) => void;
}

/**
 * The link as the streams see it: a Socket.IO socket of either side. Typed loosely on
 * purpose: the two sides' sockets have different event maps, and every value received is
 * checked here anyway.
 */
export interface StreamCarrier {
  emit(event: string, ...args: any[]): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * One byte stream on a link: a Duplex that also answers the few socket calls Node's HTTP
 * client makes (setTimeout, setNoDelay, setKeepAlive, ref, unref), so it can stand in for a
 * TCP socket under an http.Agent.
 */
export class LinkStream extends Duplex {
  private inFlight = 0;
  private blockedWrite: (() => void) | undefined;
  private readonly heldAcks: Array<() => void> = [];
  private heldBytes = 0;
  private closedByPeer = false;
  private endedByPeer = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    private readonly carrier: StreamCarrier,
    private readonly forget: (id: string) => void,
  ) {
    super({ allowHalfOpen: true });
    // Both directions done: nothing more can happen on this stream.
    let ended = false;
    let finished = false;
    this.once('end', () => ((ended = true), finished && this.destroy()));
    this.once('finish', () => ((finished = true), ended && this.destroy()));
  }

  // ---- what the multiplexer tells the stream ----

  /** @internal */
  received(chunk: Buffer, ack: () => void): void {
    this.touch();
    if (this.heldBytes + chunk.length > RECEIVE_LIMIT_BYTES) {
      this.destroy(resetError('the other side sent past its flow-control window'));
      return;
    }
    if (this.push(chunk)) return void ack();
    this.heldAcks.push(ack);
    this.heldBytes += chunk.length;
  }

  /** @internal */
  peerEnded(): void {
    this.endedByPeer = true;
    this.push(null);
  }

  /**
   * @internal The peer is gone. After its end, a close without a reason is an orderly goodbye:
   * the reader still gets what is buffered, and this side ends too. Otherwise it is an abort.
   */
  peerClosed(reason: string | null): void {
    this.closedByPeer = true;
    if (reason === null && this.endedByPeer) {
      if (!this.writableEnded) this.end();
      return;
    }
    this.destroy(reason === null ? undefined : resetError(reason));
  }

  // ---- Duplex ----

  override _read(): void {
    const acks = this.heldAcks.splice(0);
    this.heldBytes = 0;
    for (const ack of acks) ack();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.touch();
    for (let at = 0; at < chunk.length; at += STREAM_CHUNK_MAX_BYTES) {
      const piece = chunk.subarray(at, at + STREAM_CHUNK_MAX_BYTES);
      this.inFlight += piece.length;
      this.carrier.emit('stream.data', this.id, piece, () => this.acknowledged(piece.length));
    }
    if (this.inFlight < STREAM_WINDOW_BYTES) callback();
    else this.blockedWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.carrier.emit('stream.end', this.id);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    this.forget(this.id);
    if (!this.closedByPeer) this.carrier.emit('stream.close', this.id, error ? error.message : null);
    // A write waiting for credit that will never come must not hang its caller.
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    blocked?.();
    callback(error);
  }

  private acknowledged(bytes: number): void {
    this.touch();
    this.inFlight -= bytes;
    if (this.blockedWrite && this.inFlight < STREAM_WINDOW_BYTES) {
      const resume = this.blockedWrite;
      this.blockedWrite = undefined;
      resume();
    }
  }

  /** Bytes sent and not yet acknowledged (at most about one window). */
  get unacknowledgedBytes(): number {
    return this.inFlight;
  }

  // ---- the socket calls Node's HTTP client makes ----

  /** Emits 'timeout' after `ms` without bytes in either direction (0 turns it off), as net.Socket does. */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.idleMs = ms;
    if (onTimeout) this.once('timeout', onTimeout);
    this.touch();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = this.idleMs > 0 && !this.destroyed ? setTimeout(() => this.emit('timeout'), this.idleMs) : undefined;
  }
}

function resetError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/**
 * The streams of one link, either side. Attach it to a connected socket; `closeAll` when the
 * link is lost (every stream ends with an error, as TCP connections do when a host vanishes).
 */
export class LinkStreams {
  private readonly streams = new Map<string, LinkStream>();
  private readonly listeners: Array<[string, (...args: unknown[]) => void]>;

  constructor(
    readonly carrier: StreamCarrier,
    /** Streams open at once on this link; more are refused with `too_many_streams`. */
    readonly maxStreams = 4096,
  ) {
    const onData = (streamId: unknown, chunk: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const stream = typeof streamId === 'string' ? this.streams.get(streamId) : undefined;
      // Data for a stream that just closed here is acknowledged and dropped: the close is on its way.
      if (!stream) return void ack();
      if (!(chunk instanceof Uint8Array) || chunk.length > STREAM_CHUNK_MAX_BYTES) {
        stream.destroy(resetError('malformed chunk on the link'));
        return void ack();
      }
      stream.received(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length), ack as () => void);
    };
    const onEnd = (streamId: unknown) => {
      if (typeof streamId === 'string') this.streams.get(streamId)?.peerEnded();
    };
    const onClose = (streamId: unknown, reason: unknown) => {
      if (typeof streamId !== 'string') return;
      this.streams.get(streamId)?.peerClosed(typeof reason === 'string' ? reason.slice(0, 200) : null);
    };
    this.listeners = [
      ['stream.data', onData as (...args: unknown[]) => void],
      ['stream.end', onEnd as (...args: unknown[]) => void],
      ['stream.close', onClose as (...args: unknown[]) => void],
    ];
    for (const [event, listener] of this.listeners) carrier.on(event, listener);
  }

  /** Streams open on this link now. */
  get size(): number {
    return this.streams.size;
  }

  /** A new stream under `streamId`, or null when the link already holds `maxStreams` or that id. */
  create(streamId: string): LinkStream | null {
    if (this.streams.size >= this.maxStreams || this.streams.has(streamId)) return null;
    const stream = new LinkStream(streamId, this.carrier, (id) => {
      if (this.streams.get(id) === stream) this.streams.delete(id);
    });
    this.streams.set(streamId, stream);
    return stream;
  }

  /**
   * The link is gone: every stream errors out and nothing more is sent for them. The streams
   * stay attached to the carrier (an agent's socket reconnects as the same object).
   */
  closeAll(reason: string): void {
    for (const stream of [...this.streams.values()]) stream.peerClosed(reason);
    this.streams.clear();
  }

  /** Stops listening on the carrier (after closeAll, when the carrier itself is dropped). */
  detach(): void {
    for (const [event, listener] of this.listeners) this.carrier.off(event, listener);
  }
}

/** Finds and connects what a stream asks for (the agent: a port of one of its instances). */
export type StreamDialer = (request: StreamOpenRequest) => Promise<Duplex>;

/**
 * The accepting side (the agent): answers `stream.open` by dialing and piping both ways.
 * Returns the streams, whose `closeAll` the caller runs when the link drops.
 */
export function acceptStreams(carrier: StreamCarrier, dial: StreamDialer, maxStreams?: number): LinkStreams {
  const streams = new LinkStreams(carrier, maxStreams);
  carrier.on('stream.open', (raw: unknown, reply: unknown) => {
    if (typeof reply !== 'function') return;
    const answer = reply as (result: StreamOpenReply) => void;
    const parsed = StreamOpenRequest.safeParse(raw);
    if (!parsed.success) return answer({ ok: false, code: 'bad_request', message: 'malformed stream.open request' });
    const stream = streams.create(parsed.data.streamId);
    if (!stream) return answer({ ok: false, code: 'too_many_streams', message: `this node already carries ${streams.maxStreams} streams` });
    dial(parsed.data).then(
      (target) => {
        if (stream.destroyed) return void target.destroy();
        answer({ ok: true });
        pipeBothWays(stream, target);
      },
      (error: unknown) => {
        stream.peerClosed(null); // the opener gives up on its own when told; no close is sent
        const failure = error instanceof StreamOpenError ? error : new StreamOpenError('refused', (error as Error).message ?? String(error));
        answer({ ok: false, code: failure.code, message: failure.message });
      },
    );
  });
  return streams;
}

/**
 * The opening side (the orchestrator): a stream to what `request` names, once the other side
 * has connected it. Rejects with a StreamOpenError (`connect_timeout` when no answer came in
 * time: the request's own timeout plus a margin for the link).
 */
export function openStream(streams: LinkStreams, request: StreamOpenRequest): Promise<LinkStream> {
  const stream = streams.create(request.streamId);
  if (!stream) return Promise.reject(new StreamOpenError('too_many_streams', `this link already carries ${streams.maxStreams} streams`));
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      stream.destroy(); // tells the other side, which drops whatever it connects later
      reject(new StreamOpenError('connect_timeout', `no connection within ${request.connectTimeoutMs} ms`));
    }, request.connectTimeoutMs + 2_000);
    // Lost link or a close while waiting: fail now rather than at the timeout.
    stream.once('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new StreamOpenError('not_connected', 'the link to the node was lost'));
    });
    streams.carrier.emit('stream.open', request, (reply: StreamOpenReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reply?.ok === true) return resolve(stream);
      stream.peerClosed(null);
      const code = STREAM_OPEN_FAILURES.includes(reply?.code) ? reply.code : 'refused';
      reject(new StreamOpenError(code, typeof reply?.message === 'string' ? reply.message : 'the node refused the stream'));
    });
  });
}

/**
 * Pipes a link stream and a local connection into each other with back-pressure both ways.
 * An end passes on as an end (half-close); an error on either side, or the link stream's
 * close (the peer went away), tears down both. A local connection that closes ends the link
 * stream first, so bytes still waiting for credit are delivered before it closes.
 */
export function pipeBothWays(stream: Duplex, target: Duplex): void {
  stream.pipe(target);
  target.pipe(stream);
  const abort = (error?: Error) => {
    if (!stream.destroyed) stream.destroy(error);
    if (!target.destroyed) target.destroy();
  };
  stream.once('error', () => abort());
  target.once('error', (error) => abort(error));
  stream.once('close', () => abort());
  // The connection is gone both ways: deliver what it sent, then say goodbye (not an error).
  target.once('close', () => {
    if (!stream.destroyed) stream.end(() => stream.destroy());
  });
}

/**
 * A TCP connection for a stream, as a dialer makes it: half-open allowed (an end passes
 * through as an end), failures as StreamOpenError (`connect_timeout`, `refused`).
 */
export function dialTcp(host: string, port: number, connectTimeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port, allowHalfOpen: true });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StreamOpenError('connect_timeout', `port ${port} did not accept the connection within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    const failed = (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new StreamOpenError('refused', `nothing accepted the connection on port ${port} (${error.code ?? error.message})`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', failed); // from here the stream's pipe handles errors
      resolve(socket);
    });
  });
}
