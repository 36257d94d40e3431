import { io, type Socket } from 'socket.io-client';
import { eventually } from './eventually.ts';
import { type TestStack } from './test-stack.ts';

// The terminal namespace as a learner's browser uses it: connect with the session and
// instance ids, type, read the screen.

export function openTerminal(stack: TestStack, auth: Record<string, unknown>): Socket {
  return io(`${stack.orchestratorUrl}/terminal`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
}

/** Everything the terminal prints, decoded as UTF-8. */
export function collectOutput(socket: Socket): { text: () => string } {
  let text = '';
  const decoder = new TextDecoder();
  socket.on('output', (data: string | ArrayBuffer | Uint8Array) => {
    text += typeof data === 'string' ? data : decoder.decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data, { stream: true });
  });
  return { text: () => text };
}

/** Resolves with `connected` or `refused: <message>` (the handshake's answer). */
export function handshake(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(`refused: ${error.message}`));
  });
}

/** Opens a terminal, waits for the prompt, types a sum and waits for its answer. */
export async function echoThroughTerminal(stack: TestStack, sessionId: string, instanceId: string, timeoutMs = 30_000): Promise<void> {
  const socket = openTerminal(stack, { sessionId, instanceId });
  try {
    const output = collectOutput(socket);
    const answer = await handshake(socket);
    if (answer !== 'connected') throw new Error(`terminal handshake ${answer}`);
    await eventually(async () => /root@\S+/.test(output.text()), { timeoutMs: timeoutMs, description: `the prompt of instance ${instanceId}` });
    const a = 1000 + Math.floor(Math.random() * 9000);
    socket.emit('input', `echo $((${a}*3))-echoed\r`);
    await eventually(async () => output.text().includes(`${a * 3}-echoed`), { timeoutMs: 10_000, description: `the echo from instance ${instanceId}` });
  } finally {
    socket.close();
  }
}
