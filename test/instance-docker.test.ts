import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'socket.io-client';
import type { InstanceView, SessionView } from '@playground/contracts';
import { eventually } from './support/eventually.ts';
import { collectOutput, handshake, openTerminal } from './support/terminal.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// Today's Docker in an instance the real agent made, used through its terminal as a learner
// would: Engine 26, Compose v2 (as `docker compose` and as `docker-compose`), Buildx, a
// BuildKit build with a COPY of files written in the instance, and the tools lessons use.

describe("today's Docker in every instance", { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let terminal: Socket;
  let output: { text: () => string };

  /** Types one command line and resolves with what it printed between two markers. */
  let marks = 0;
  async function shell(line: string, timeoutMs = 60_000): Promise<string> {
    const mark = `mark${++marks}`;
    const from = output.text().length;
    // The markers are split in the typed line so that only the output (not the echo) holds them whole.
    terminal.emit('input', `echo "${mark}-beg""in"; ${line}; echo "${mark}-e""nd rc=$?"\r`);
    const pattern = new RegExp(`${mark}-begin\\r?\\n([\\s\\S]*?)${mark}-end rc=(\\d+)`);
    let match: RegExpExecArray | null = null;
    await eventually(async () => (match = pattern.exec(output.text().slice(from))) !== null, {
      timeoutMs,
      description: `the output of: ${line}`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- terminal shows ---\n${output.text().slice(from).slice(-3000)}`);
    });
    const [, printed, rc] = match as unknown as RegExpExecArray;
    assert.equal(rc, '0', `\`${line}\` failed:\n${printed}`);
    return printed!.replace(/\r/g, '');
  }

  before(async () => {
    stack = await startTestStack('instance-docker');
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    assert.equal(session.status, 201);
    const instance = await stack.api<InstanceView>('POST', `/api/v1/sessions/${session.body.id}/instances`, {});
    assert.equal(instance.status, 201, JSON.stringify(instance.body));
    terminal = openTerminal(stack, { sessionId: session.body.id, instanceId: instance.body.id });
    output = collectOutput(terminal);
    assert.equal(await handshake(terminal), 'connected');
    await eventually(async () => /root@node1/.test(output.text()), { timeoutMs: 60_000, description: 'the first prompt' });
  });

  after(async () => {
    terminal?.close();
    await stack?.teardown();
  });

  it('runs Engine 26 with Compose v2 (both spellings) and Buildx', async () => {
    assert.match(await shell(`docker version --format 'client={{.Client.Version}} engine={{.Server.Version}}'`), /client=26\.\d+\.\d+\S* engine=26\.\d+\.\d+/);
    assert.match(await shell('docker compose version'), /^Docker Compose version v?2\.\d+/m);
    assert.match(await shell('docker-compose version'), /^Docker Compose version v?2\.\d+/m);
    assert.match(await shell('docker buildx version'), /github\.com\/docker\/buildx v?0\.\d+/);
    assert.match(await shell(`docker info --format 'driver={{.Driver}}'`), /driver=overlay2/);
  });

  it('builds an image with BuildKit from files written in the instance (COPY) and runs it', async () => {
    await shell(`mkdir -p ~/copy-build/site && cd ~/copy-build && for i in $(seq 1 50); do echo "page $i" > site/page$i.txt; done && echo copied-from-the-instance > site/index.txt`);
    await shell(`printf 'FROM busybox\\nCOPY site /site\\nRUN ls /site | wc -l > /count\\nCMD cat /site/index.txt /count\\n' > Dockerfile`);
    await shell('docker buildx build --progress=plain -t learner/copy .', 180_000);
    const ran = await shell('docker run --rm learner/copy');
    assert.match(ran, /^copied-from-the-instance\n51\n?$/m);
    // The classic spelling goes through BuildKit too.
    assert.match(await shell('docker build -q -t learner/copy2 . && docker run --rm learner/copy2'), /copied-from-the-instance/);
    await shell('cd ~');
  });

  it('has the tools a lesson uses and bash completion for docker', async () => {
    const found = await shell('for t in git curl wget vim nano jq tree htop ping dig ss; do command -v $t || echo "missing $t"; done');
    assert.doesNotMatch(found, /missing/);
    // The login shell loads bash-completion, which loads docker's completion on first use.
    assert.match(await shell('_comp_load docker; complete -p docker'), /^complete -F \S+ docker$/m);
  });
});
