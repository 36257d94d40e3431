import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server as SocketIoServer, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import {
  acceptStreams,
  dialTcp,
  LinkStreams,
  openStream,
  STREAM_WINDOW_BYTES,
  StreamOpenError,
  type LinkStream,
  type StreamDialer,
  type StreamOpenRequest,
} from './link-streams.ts';

// Streams over a real Socket.IO link on loopback (the orchestrator's side is the server, the
// agent's the client, as in the playground), to real TCP servers.

let counter = 0;
const request = (port: number, extra: Partial<StreamOpenRequest> = {}): StreamOpenRequest => ({
  streamId: `stream-test-${++counter}`,
  instanceId: 'instance',
  port,
  connectTimeoutMs: 2_000,
  ...extra,
});

const tcpDial = (): StreamDialer => (req) =>
  'port' in req ? dialTcp('127.0.0.1', req.port, req.connectTimeoutMs) : Promise.reject(new StreamOpenError('bad_request', 'no archives here'));

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

const closed = (stream: { closed: boolean; once(event: 'close', listener: () => void): unknown }) =>
  stream.closed ? Promise.resolve() : new Promise<void>((resolve) => stream.once('close', () => resolve()));

describe('byte streams over the agent link', { timeout: 60_000 }, () => {
  let http: HttpServer;
  let io: SocketIoServer;
  let orchestratorSide: ServerSocket;
  let agentSide: ClientSocket;
  let opener: LinkStreams;
  let dial: StreamDialer = tcpDial();
  let accepted: LinkStreams;
  let echo: TcpServer;
  let echoPort: number;
  const targets = new Set<Socket>();

  async function link(): Promise<void> {
    const connected = new Promise<ServerSocket>((resolve) => io.once('connection', resolve));
    agentSide = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], reconnection: false });
    accepted = acceptStreams(agentSide, (req) => dial(req), 8);
    agentSide.on('disconnect', () => accepted.closeAll('link lost'));
    orchestratorSide = await connected;
    opener = new LinkStreams(orchestratorSide);
    orchestratorSide.on('disconnect', () => opener.closeAll('link lost'));
  }

  before(async () => {
    http = createHttpServer();
    io = new SocketIoServer(http, { transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    echo = createTcpServer({ allowHalfOpen: true }, (socket) => {
      targets.add(socket);
      socket.once('close', () => targets.delete(socket));
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as AddressInfo).port;
    await link();
  });
  afterEach(() => {
    dial = tcpDial();
  });
  after(async () => {
    agentSide.disconnect();
    io.close();
    echo.close();
  });

  it('carries megabytes both ways unchanged, and an end passes as a half-close', { timeout: 15_000 }, async () => {
    const stream = await openStream(opener, request(echoPort));
    const sent = randomBytes(3 * 1024 * 1024 + 17);
    const back = readAll(stream);
    stream.end(sent);
    assert.ok((await back).equals(sent), 'the echo server sent back exactly what went in');
    await closed(stream);
    assert.equal(opener.size, 0, 'a stream done both ways leaves the table');
  });

  it("a reader that stops reading stops the sender at about one window (the source is not drained)", { timeout: 15_000 }, async () => {
    let produced = 0;
    const total = 32 * 1024 * 1024;
    dial = async () =>
      new Readable({
        read() {
          if (produced >= total) return void this.push(null);
          produced += 16 * 1024;
          this.push(Buffer.alloc(16 * 1024, 7));
        },
      }).on('error', () => undefined) as unknown as Socket;
    const stream = await openStream(opener, request(1));
    stream.pause();
    // Let the producer run until the window is full and it stops.
    let before = -1;
    while (produced !== before) {
      before = produced;
      await sleep(300);
    }
    assert.ok(produced < 1024 * 1024, `with nobody reading, the source gave only ${produced} bytes (window ${STREAM_WINDOW_BYTES})`);
    const all = await readAll(stream.resume());
    assert.equal(all.length, total, 'once read again, every byte arrives');
    await closed(stream.destroy());
  });

  it('either side closing tears down the other; the target closing ends the stream (a half-close, as TCP)', { timeout: 15_000 }, async () => {
    const first = await openStream(opener, request(echoPort));
    await new Promise((resolve) => first.write('x', resolve));
    await closed(first.destroy());
    await sleepUntil(() => targets.size === 0, 'the target connection is closed after the opener destroyed its stream');

    const second = await openStream(opener, request(echoPort));
    const ended = readAll(second);
    await sleepUntil(() => targets.size === 1, 'the target is connected');
    for (const socket of targets) socket.destroy();
    await ended;
    // As with TCP, the side that saw the end ends too, and then the stream is gone on both sides.
    await closed(second.end());
    await sleepUntil(() => accepted.size === 0, 'the agent side forgot the stream');
  });

  it('open failures come back with their code; a full link refuses more streams', { timeout: 15_000 }, async () => {
    dial = async () => {
      throw new StreamOpenError('port_forbidden', 'never this port');
    };
    await assert.rejects(openStream(opener, request(2375)), { code: 'port_forbidden', message: 'never this port' });
    dial = tcpDial();
    const closedPort = await freePort();
    await assert.rejects(openStream(opener, request(closedPort)), { code: 'refused' });
    await assert.rejects(openStream(opener, { ...request(echoPort), streamId: 'bad id!' } as StreamOpenRequest), { code: 'bad_request' });

    const open: LinkStream[] = [];
    for (let i = 0; i < 8; i++) open.push(await openStream(opener, request(echoPort)));
    await assert.rejects(openStream(opener, request(echoPort)), { code: 'too_many_streams' });
    await Promise.all(open.map((stream) => closed(stream.destroy())));
    await sleepUntil(() => accepted.size === 0, 'the agent side forgot the closed streams');
  });

  it('a dial slower than the timeout fails the open as connect_timeout, and what it connects later is closed', { timeout: 15_000 }, async () => {
    let late: Socket | undefined;
    dial = async (req) => {
      await sleep(req.connectTimeoutMs + 2_500);
      late = createConnection({ host: '127.0.0.1', port: echoPort });
      return late;
    };
    await assert.rejects(openStream(opener, request(echoPort, { connectTimeoutMs: 100 })), { code: 'connect_timeout' });
    await sleepUntil(() => late !== undefined && late.destroyed, 'the late connection is closed');
  });

  it('losing the link ends every stream on both sides with an error', { timeout: 15_000 }, async () => {
    const stream = await openStream(opener, request(echoPort));
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    await sleepUntil(() => targets.size === 1, 'the target is connected');
    agentSide.disconnect();
    assert.match((await failed).message, /link lost/);
    await sleepUntil(() => targets.size === 0, "the agent closed its side's connection");
    await link();
  });
});

async function sleepUntil(condition: () => boolean, description: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return;
    await sleep(50);
  }
  assert.fail(`timed out: ${description}`);
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
