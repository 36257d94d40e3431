import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { SessionView } from '@playground/contracts';
import WebSocket from 'ws';
import { eventually } from './eventually.ts';
import type { TestStack } from './test-stack.ts';

// A learner's server in an instance and the traffic a browser sends to its port URLs: a page,
// an uploaded body echoed back, WebSocket messages. `port` is whichever process is addressed
// (the web edge, or one orchestrator replica directly); `host` is the Host header, which
// carries the host form of a port URL.

const ECHO_SERVER = readFileSync(new URL('../cluster/port-echo-server.pl', import.meta.url), 'utf8');

/** Starts the echo server (test/cluster/port-echo-server.pl) on `port` of the session's first instance, and waits until its agent reports it. */
export async function startEchoServer(stack: TestStack, sessionId: string, instanceId: string, port = 8080): Promise<void> {
  const script = `cat > /root/echo-server.pl <<'PERL'\n${ECHO_SERVER}PERL\nsetsid perl /root/echo-server.pl ${port} </dev/null >/dev/null 2>&1 &`;
  const started = await stack.api<{ exitCode: number }>('POST', `/api/v1/sessions/${sessionId}/instances/${instanceId}/exec`, { script });
  assert.equal(started.status, 200);
  await eventually(
    async () => {
      const view = await stack.api<SessionView>('GET', `/api/v1/sessions/${sessionId}`);
      return view.body.instances.find((instance) => instance.id === instanceId)?.ports.some((open) => open.port === port) ?? false;
    },
    { timeoutMs: 60_000, description: `the node agent reports port ${port} listening` },
  );
}

export function httpThrough(port: number, host: string, path: string, method = 'GET', body?: Buffer): Promise<{ status: number; body: Buffer; replica: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), replica: res.headers['x-playground-replica'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a WebSocket, sends a text and a 200 KB binary message, returns what came back. */
export async function echoOverWebSocket(port: number, host: string, path: string): Promise<{ text: string; binary: Buffer }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host } });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    });
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    const both = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer, binary: boolean) => {
        messages.push({ data, binary });
        if (messages.length === 2) resolve();
      }),
    );
    const blob = randomBytes(200 * 1024);
    ws.send('ping over the agent link');
    ws.send(blob);
    await both;
    assert.ok(messages[1]!.data.equals(blob), 'the binary message came back byte for byte');
    return { text: messages[0]!.data.toString(), binary: messages[1]!.data };
  } finally {
    ws.close();
  }
}
