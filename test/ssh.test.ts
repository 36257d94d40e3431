import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InstanceView, SessionView } from '@playground/contracts';
import { freePort, waitForHealthy } from '../infra/launcher/stack.ts';
import { launchBrowser } from './support/browser.ts';
import { eventually } from './support/eventually.ts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// The SSH gateway as a learner meets it: the system's OpenSSH client against a real stack
// (orchestrator, node agent, Docker instance), all on 127.0.0.1 and a free port.

const CLIENT_OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
/** A server inside the instance (its image has perl-base, as every Debian does): greets and hangs up. */
const GREETER = `perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>8000,Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){print $c "hello from the instance\\n"; close $c}'`;

/** SSH_MAX_CONNECTIONS_PER_INSTANCE of this stack. */
const MAX_CONNECTIONS = 2;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('SSH gateway', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let sshPort: number;
  let sessionId: string;
  let instance: InstanceView;
  const hostKeyPath = path.join(tmpdir(), `playground-ssh-test-${randomBytes(4).toString('hex')}`);
  const children: ChildProcess[] = [];

  /** Runs ssh (batch mode unless `interactive` options are given) and collects what it printed. */
  function ssh(args: string[], options: { batch?: boolean; input?: string } = {}): Promise<Ran> {
    const batch = options.batch === false ? [] : ['-o', 'BatchMode=yes'];
    const child = spawn('/usr/bin/ssh', [...CLIENT_OPTIONS, ...batch, '-p', String(sshPort), ...args], { stdio: 'pipe' });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end(options.input ?? '');
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  /** A long-running ssh (a shell, a tunnel): its output so far, and its end. */
  function sshSession(args: string[], env: NodeJS.ProcessEnv = process.env) {
    const child = spawn('/usr/bin/ssh', [...CLIENT_OPTIONS, '-o', 'BatchMode=yes', '-p', String(sshPort), ...args], { stdio: 'pipe', env });
    children.push(child);
    const seen = { out: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (seen.out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (seen.out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    /** True once every text has been printed; else throws with the output's tail, for the timeout message. */
    const printed = (...texts: string[]) => {
      if (texts.every((text) => seen.out.includes(text))) return true;
      throw new Error(`printed so far: ${JSON.stringify(seen.out.slice(-400))}`);
    };
    return { child, seen, exited, printed };
  }

  async function newInstance(): Promise<InstanceView> {
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  async function hostKey(): Promise<string> {
    const child = spawn('/usr/bin/ssh-keyscan', ['-p', String(sshPort), '-t', 'ed25519', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await new Promise((resolve) => child.once('close', resolve));
    const key = out.split('\n').find((line) => line.includes('ssh-ed25519'));
    if (!key) throw new Error(`ssh-keyscan found no ed25519 key (${out})`);
    return key.split(' ').slice(1).join(' ');
  }

  /** One sample of the orchestrator's /metrics, 0 when it has none yet. */
  async function metric(name: string): Promise<number> {
    const response = await fetch(`${stack.orchestratorUrl}/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
    const line = (await response.text()).split('\n').find((candidate) => candidate.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : 0;
  }

  before(async () => {
    sshPort = await freePort();
    stack = await startTestStack('ssh', { web: true, env: { SSH_PORT: String(sshPort), SSH_HOST_KEY_PATH: hostKeyPath, MAX_INSTANCES_PER_SESSION: '3', SSH_MAX_CONNECTIONS_PER_INSTANCE: String(MAX_CONNECTIONS) } });
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions', {});
    assert.equal(session.status, 201);
    sessionId = session.body.id;
    instance = await newInstance();
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await stack?.teardown();
    await rm(hostKeyPath, { force: true });
  });

  it('shows the ssh command of each instance in the API', () => {
    assert.equal(instance.ssh, `ssh ${instance.id}@localhost -p ${sshPort}`);
  });

  it('the page shows the command next to the instance; copied and run, it reaches the instance', async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.baseUrl });
      const page = await context.newPage();
      await page.goto(`${stack.baseUrl}/p/${sessionId}`);
      const shown = page.getByTestId('ssh-command');
      await shown.waitFor({ timeout: 60_000 });
      assert.equal(await shown.locator('code').innerText(), instance.ssh);
      await shown.getByTestId('ssh-copy').click();
      await eventually(async () => (await shown.getByTestId('ssh-copy').innerText()) === 'Copied', { timeoutMs: 10_000, description: 'the copy button to say Copied' });
      const copied = await page.evaluate<string>('navigator.clipboard.readText()');
      assert.equal(copied, instance.ssh);
      // The command as copied: `ssh <id>@localhost -p <port>`, with a command added.
      const [, target, , port] = copied.split(' ');
      assert.equal(port, String(sshPort));
      const ran = await ssh([target!, 'hostname']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), instance.hostname);
    } finally {
      await browser.close();
    }
  });

  it('runs one command and returns its output and exit code', async () => {
    const ran = await ssh([`${instance.id}@127.0.0.1`, 'echo out-$((6*7)); echo err-line >&2; hostname; exit 3']);
    assert.equal(ran.code, 3, ran.stderr);
    assert.match(ran.stdout, /out-42/);
    assert.match(ran.stdout, /err-line/);
    assert.match(ran.stdout, new RegExp(`^${instance.hostname}$`, 'm'));
    const ok = await ssh([`${instance.id}@127.0.0.1`, 'true']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("opens the instance's shell: what is typed runs there", async () => {
    const shell = sshSession(['-tt', `${instance.id}@127.0.0.1`]);
    shell.child.stdin!.write('hostname\n');
    shell.child.stdin!.write('echo typed-$((7*6))\n');
    await eventually(() => shell.printed(`\r${instance.hostname}\r\n`, 'typed-42'), {
      timeoutMs: 60_000,
      description: "the instance's hostname and the echo back through ssh -tt",
    });
    shell.child.kill();
    await shell.exited;
  });

  it('forwards a local port to a server inside the instance (ssh -L)', async () => {
    const started = await stack.api<{ exitCode: number }>('POST', `/api/v1/sessions/${sessionId}/instances/${instance.id}/exec`, {
      script: `setsid ${GREETER} >/dev/null 2>&1 < /dev/null &`,
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const localPort = await freePort();
    const tunnel = sshSession(['-N', '-L', `${localPort}:localhost:8000`, `${instance.id}@127.0.0.1`]);
    const greeting = await eventually(() => readAll(localPort), { timeoutMs: 60_000, description: 'the greeting through the tunnel' });
    assert.equal(greeting, 'hello from the instance\n');
    tunnel.child.kill();
    await tunnel.exited;
  });

  it('refuses to forward to the engine API or anywhere but the instance', async () => {
    const engine = await ssh(['-W', 'localhost:2375', `${instance.id}@127.0.0.1`]);
    assert.notEqual(engine.code, 0);
    assert.match(engine.stderr, /forwarding failed/);
    const elsewhere = await ssh(['-W', '127.0.0.2:8000', `${instance.id}@127.0.0.1`]);
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /forwarding failed/);
    assert.equal(await metric('playground_ssh_refusals_total{reason="forward_destination"}'), 2);
  });

  it('refuses an id that is no running instance, saying why', async () => {
    const unknown = 'a'.repeat(26);
    const batch = await ssh([`${unknown}@127.0.0.1`, 'true']);
    assert.equal(batch.code, 255);
    assert.match(batch.stderr, /Permission denied/);
    // Without batch mode the client shows the server's reason (keyboard-interactive instructions).
    const told = await ssh(['-o', 'PasswordAuthentication=no', '-o', 'PubkeyAuthentication=no', `${unknown}@127.0.0.1`, 'true'], { batch: false });
    assert.equal(told.code, 255);
    assert.match(told.stderr, /No running playground instance has the id/);
    assert.ok((await metric('playground_ssh_refusals_total{reason="unknown_instance"}')) >= 2, 'the refusals are counted');
  });

  it(`refuses a connection beyond ${MAX_CONNECTIONS} to one instance, saying why, and takes one again once one closed`, async () => {
    const shells = Array.from({ length: MAX_CONNECTIONS }, (_, index) => {
      const shell = sshSession(['-tt', `${instance.id}@127.0.0.1`]);
      shell.child.stdin!.write(`echo shell-${index}-$((1+1))\n`);
      return { shell, index };
    });
    for (const { shell, index } of shells) {
      await eventually(() => shell.printed(`shell-${index}-2`), { timeoutMs: 60_000, description: `shell ${index} to answer` });
    }
    const refused = await ssh(['-o', 'PasswordAuthentication=no', '-o', 'PubkeyAuthentication=no', `${instance.id}@127.0.0.1`, 'true'], { batch: false });
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, new RegExp(`already has ${MAX_CONNECTIONS} SSH connections`));
    shells[0]!.shell.child.kill();
    await shells[0]!.shell.exited;
    await eventually(async () => {
      const again = await ssh([`${instance.id}@127.0.0.1`, 'true']);
      if (again.code !== 0) throw new Error(`exit ${again.code}: ${again.stderr}`);
      return true;
    }, {
      timeoutMs: 30_000,
      description: 'a place to be free again',
    });
    for (const { shell } of shells) shell.child.kill();
  });

  it("greets in the client's language when it sends LANG (ssh -o SendEnv=LANG)", async () => {
    // A new instance: its main shell is prewarmed in English and nobody has seen it yet.
    const korean = await newInstance();
    const shell = sshSession(['-o', 'SendEnv=LANG', '-tt', `${korean.id}@127.0.0.1`], { ...withoutLocale(), LANG: 'ko_KR.UTF-8' });
    await eventually(() => shell.printed(KOREAN_WELCOME), { timeoutMs: 60_000, description: 'the Korean welcome through ssh' });
    assert.ok(!shell.seen.out.includes(ENGLISH_WELCOME), 'not the English one as well');
    shell.child.kill();
    await shell.exited;
  });

  it('greets in the language the session was started in when the client sends no LANG', async () => {
    const started = await stack.api<SessionView>('POST', '/api/v1/sessions', { language: 'ko' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${started.body.id}/instances`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const shell = sshSession(['-tt', `${created.body.id}@127.0.0.1`], withoutLocale());
    await eventually(() => shell.printed(KOREAN_WELCOME), { timeoutMs: 60_000, description: "the session's Korean welcome through ssh" });
    shell.child.kill();
    await shell.exited;
    assert.equal((await stack.api('DELETE', `/api/v1/sessions/${started.body.id}`)).status, 204);
  });

  it('closes the connections of a deleted instance with a message, and refuses its id after', async () => {
    const doomed = await newInstance();
    const shell = sshSession(['-tt', `${doomed.id}@127.0.0.1`]);
    shell.child.stdin!.write('echo ready-$((2*2))\n');
    await eventually(() => shell.printed('ready-4'), { timeoutMs: 60_000, description: 'the shell of the second instance' });
    const deleted = await stack.api('DELETE', `/api/v1/sessions/${sessionId}/instances/${doomed.id}`);
    assert.equal(deleted.status, 204);
    await shell.exited;
    assert.match(shell.seen.out, /\[playground\]/);
    const after = await ssh([`${doomed.id}@127.0.0.1`, 'true']);
    assert.equal(after.code, 255);
    assert.match(after.stderr, /Permission denied/);
  });

  it('closes its connections when the session ends, saying so', async () => {
    const shell = sshSession(['-tt', `${instance.id}@127.0.0.1`]);
    shell.child.stdin!.write('echo still-$((3*3))\n');
    await eventually(() => shell.printed('still-9'), { timeoutMs: 60_000, description: 'the shell before the session ends' });
    const ended = await stack.api('DELETE', `/api/v1/sessions/${sessionId}`);
    assert.equal(ended.status, 204);
    await shell.exited;
    assert.match(shell.seen.out, /\[playground\] .*(session|deleted|no longer running)/);
    const after = await ssh([`${instance.id}@127.0.0.1`, 'true']);
    assert.equal(after.code, 255);
  });

  it('keeps its host key across a restart', async () => {
    const before = await hostKey();
    await stack.kill('orchestrator');
    stack.restart('orchestrator');
    await waitForHealthy(stack, 90_000);
    assert.equal(await eventually(() => hostKey(), { timeoutMs: 30_000, description: 'the gateway to answer again' }), before);
  });
});

/** The first line of the instance image's /etc/motd.ko and /etc/motd (infra/instance/rootfs/etc). */
const KOREAN_WELCOME = 'Playground 인스턴스에 오신 것을 환영합니다';
const ENGLISH_WELCOME = 'Welcome to your Playground instance';

/** This process's environment without any locale variable, so ssh sends none (SendEnv LANG LC_* is Debian's default). */
function withoutLocale(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LANG' && !name.startsWith('LC_')));
}

/** Connects, reads until the server hangs up; throws when nothing answers yet. */
function readAll(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
    socket.once('error', reject);
    socket.once('close', () => (data ? resolve(data) : reject(new Error('closed without a greeting'))));
  });
}
