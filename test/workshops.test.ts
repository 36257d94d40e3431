import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  CreatedInstructorView,
  CreatedTokenView,
  JoinedView,
  LearnerResultsView,
  LearnerWorkshopView,
  MeView,
  SessionView,
  WorkshopListView,
  WorkshopView,
} from '@playground/contracts';
import { startTestStack, type TestStack } from './support/test-stack.ts';
import { eventually } from './support/eventually.ts';
import { collectOutput, handshake, openTerminal } from './support/terminal.ts';

// Workshops through the public API on the real stack: an instructor made by the admin signs
// in (cookie) or uses a token, creates a workshop, prepares its seats on real instances, and
// learners join by code; the instructor watches a learner's terminal read-only until the
// learner allows help, talks to the class, and ending the workshop removes everything.

type Answer<T> = { status: number; body: T; headers: Headers };
type ErrorAnswer = { error: { code: string; message: string; guaranteed?: number } };

describe('workshops', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let instructor: CreatedInstructorView;
  let origin: string;

  /** A call as someone: an instructor's token, a browser's cookies (with the page's Origin), or nobody. */
  async function call<T>(method: string, route: string, body?: unknown, as: { token?: string; cookie?: string; origin?: string | null } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (as.token) headers.authorization = `Bearer ${as.token}`;
    if (as.cookie) headers.cookie = as.cookie;
    if (as.origin !== null && (as.cookie || as.origin)) headers.origin = as.origin ?? origin;
    const response = await fetch(`${stack.orchestratorUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* CSV and the like stay text */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
  const asInstructor = <T>(method: string, route: string, body?: unknown) => call<T>(method, route, body, { token: instructor.token });
  const cookiesOf = (headers: Headers) => headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');

  before(async () => {
    stack = await startTestStack('workshops', { capacity: 6 });
    origin = stack.baseUrl;
    const made = await stack.admin<CreatedInstructorView>('POST', '/api/v1/instructors', { email: 'Ada@Example.org', name: 'Ada', password: 'correct horse battery' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    instructor = made.body;
  });
  after(async () => stack?.teardown());

  it('only the admin makes instructors; the answer carries a working token and an email is taken once', async () => {
    assert.equal(instructor.email, 'ada@example.org');
    assert.match(instructor.token, /^pgi_/);
    const anonymous = await call<ErrorAnswer>('POST', '/api/v1/instructors', { email: 'eve@example.org', name: 'Eve' });
    assert.equal(anonymous.status, 401);
    const again = await stack.admin<ErrorAnswer>('POST', '/api/v1/instructors', { email: 'ada@example.org', name: 'Ada again' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'email_taken');
    const generated = await stack.admin<CreatedInstructorView>('POST', '/api/v1/instructors', { email: 'bob@example.org', name: 'Bob' });
    assert.equal(generated.status, 201);
    assert.ok(generated.body.password && generated.body.password.length >= 12, 'a generated password is shown once');
    const me = await asInstructor<MeView>('GET', '/api/v1/me');
    assert.deepEqual({ kind: me.body.kind, email: me.body.email }, { kind: 'instructor', email: 'ada@example.org' });
  });

  it('signs in with email and password; the cookie works only from the playground\'s own pages', async () => {
    const wrong = await call<unknown>('POST', '/api/auth/sign-in/email', { email: 'ada@example.org', password: 'not the password' }, { origin });
    assert.equal(wrong.status, 401);
    const signedIn = await call<unknown>('POST', '/api/auth/sign-in/email', { email: 'ada@example.org', password: 'correct horse battery' }, { origin });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const setCookie = signedIn.headers.getSetCookie().join('\n');
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    const cookie = cookiesOf(signedIn.headers);
    const me = await call<MeView>('GET', '/api/v1/me', undefined, { cookie });
    assert.equal(me.body.email, 'ada@example.org');

    const forged = await call<ErrorAnswer>('POST', '/api/v1/workshops', { title: 'forged', seats: 1 }, { cookie, origin: 'https://evil.example' });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'csrf_rejected');
    const sandboxed = await call<ErrorAnswer>('GET', '/api/v1/workshops', undefined, { cookie, origin: 'null' });
    assert.equal(sandboxed.body.error.code, 'csrf_rejected');
    const noOrigin = await call<ErrorAnswer>('POST', '/api/v1/workshops', { title: 'no origin', seats: 1 }, { cookie, origin: null });
    assert.equal(noOrigin.body.error.code, 'csrf_rejected');
    const fromPage = await call<WorkshopView>('POST', '/api/v1/workshops', { title: 'From the page', seats: 1 }, { cookie });
    assert.equal(fromPage.status, 201, JSON.stringify(fromPage.body));
  });

  it('tokens are listed without their secret and a revoked one stops working', async () => {
    const made = await asInstructor<CreatedTokenView>('POST', '/api/v1/me/tokens', { name: 'course platform' });
    assert.equal(made.status, 201);
    const listed = await asInstructor<{ tokens: Array<Record<string, unknown>> }>('GET', '/api/v1/me/tokens');
    assert.ok(listed.body.tokens.some((token) => token.name === 'course platform'));
    assert.ok(!JSON.stringify(listed.body).includes(made.body.token), 'the token itself is never listed');
    assert.equal((await call('GET', '/api/v1/workshops', undefined, { token: made.body.token })).status, 200);
    assert.equal((await asInstructor('DELETE', `/api/v1/me/tokens/${made.body.id}`)).status, 204);
    const revoked = await call<ErrorAnswer>('GET', '/api/v1/workshops', undefined, { token: made.body.token });
    assert.equal(revoked.status, 401);
  });

  it('refuses a workshop the cluster cannot hold, saying how many seats it can guarantee', async () => {
    const big = await asInstructor<WorkshopView>('POST', '/api/v1/workshops', { title: 'Too big', seats: 50 });
    const refused = await asInstructor<ErrorAnswer>('POST', `/api/v1/workshops/${big.body.id}/prepare`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'insufficient_capacity');
    assert.equal(refused.body.error.guaranteed, 6);
    const after = await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${big.body.id}`);
    assert.equal(after.body.seatsPreparing + after.body.seatsReady, 0, 'nothing was prepared');
    assert.equal((await asInstructor('DELETE', `/api/v1/workshops/${big.body.id}`)).status, 204);
  });

  it('runs a class: prepared seats, joins, watching, help, broadcast, files, commands, attendance and the end', async () => {
    const created = await asInstructor<WorkshopView>('POST', '/api/v1/workshops', {
      title: 'Docker 101',
      seats: 2,
      template: { instances: [{ hostname: 'lab', setup: 'echo ready-for-class > /root/welcome.txt' }] },
      durationMinutes: 60,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const workshop = created.body;
    assert.equal(workshop.joinUrl, `${origin}/w/${workshop.code}`);
    assert.equal(workshop.status, 'open');

    // Another instructor sees nothing of it.
    const other = await stack.admin<CreatedInstructorView>('POST', '/api/v1/instructors', { email: 'mallory@example.org', name: 'Mallory' });
    assert.equal((await call('GET', `/api/v1/workshops/${workshop.id}`, undefined, { token: other.body.token })).status, 404);
    const othersList = await call<WorkshopListView>('GET', '/api/v1/workshops', undefined, { token: other.body.token });
    assert.equal(othersList.body.workshops.length, 0);

    const prepared = await asInstructor<WorkshopView>('POST', `/api/v1/workshops/${workshop.id}/prepare`);
    assert.equal(prepared.status, 202, JSON.stringify(prepared.body));
    await eventually(async () => (await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${workshop.id}`)).body.seatsReady === 2, {
      timeoutMs: 180_000,
      description: 'both seats ready',
    });

    const publicView = await call<{ title: string; open: boolean }>('GET', `/api/v1/workshops/by-code/${workshop.code}`);
    assert.deepEqual({ title: publicView.body.title, open: publicView.body.open }, { title: 'Docker 101', open: true });

    // Two learners take the prepared seats: running instances at once, set up.
    const first = await call<JoinedView>('POST', '/api/v1/workshops/join', { code: workshop.code, name: 'Grace' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.prepared, true);
    assert.equal(first.body.instances[0]?.status, 'running');
    assert.equal(first.body.instances[0]?.hostname, 'lab');
    const graceCookie = cookiesOf(first.headers);
    assert.match(first.headers.getSetCookie().join(';'), /HttpOnly/i);
    const back = await call<JoinedView>('POST', '/api/v1/workshops/join', { code: workshop.code, name: 'Grace' }, { cookie: graceCookie });
    assert.equal(back.status, 200, 'the same browser gets its seat back');
    assert.equal(back.body.sessionId, first.body.sessionId);
    const second = await call<JoinedView>('POST', '/api/v1/workshops/join', { code: workshop.code.toUpperCase(), name: 'Linus' });
    assert.equal(second.status, 201);
    assert.notEqual(second.body.sessionId, first.body.sessionId);
    const full = await call<ErrorAnswer>('POST', '/api/v1/workshops/join', { code: workshop.code, name: 'Late' });
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, 'workshop_full');
    const unknown = await call<ErrorAnswer>('POST', '/api/v1/workshops/join', { code: 'zzzzzzzz', name: 'Nobody' });
    assert.equal(unknown.status, 404);

    const grace = { sessionId: first.body.sessionId, instanceId: first.body.instances[0]!.id };
    const setupRan = await stack.api<{ output: string }>('POST', `/api/v1/sessions/${grace.sessionId}/instances/${grace.instanceId}/exec`, { script: 'cat /root/welcome.txt' });
    assert.match(setupRan.body.output, /ready-for-class/);

    // Grace's terminal; the instructor watches it.
    const learnerTerminal = openTerminal(stack, grace);
    const learnerScreen = collectOutput(learnerTerminal);
    assert.equal(await handshake(learnerTerminal), 'connected');
    await eventually(async () => /root@lab/.test(learnerScreen.text()), { timeoutMs: 30_000, description: "Grace's prompt" });
    learnerTerminal.emit('input', 'echo hello-from-$((6*7))\r');
    await eventually(async () => learnerScreen.text().includes('hello-from-42'), { timeoutMs: 15_000, description: "Grace's echo" });

    const strangerWatch = openTerminal(stack, { instanceId: grace.instanceId, watch: true, token: other.body.token });
    assert.match(await handshake(strangerWatch), /^refused: .*your own workshops/);
    strangerWatch.close();

    const watcher = openTerminal(stack, { instanceId: grace.instanceId, watch: true, token: instructor.token });
    const watched = collectOutput(watcher);
    const controls: Array<{ canType: boolean }> = [];
    const refusals: string[] = [];
    watcher.on('control', (info: { canType: boolean }) => controls.push(info));
    watcher.on('inputRefused', (info: { reason: string }) => refusals.push(info.reason));
    assert.equal(await handshake(watcher), 'connected');
    await eventually(async () => watched.text().includes('hello-from-42'), { timeoutMs: 15_000, description: 'the screen replayed to the watcher' });
    learnerTerminal.emit('input', 'echo live-$((40+2))\r');
    await eventually(async () => watched.text().includes('live-42'), { timeoutMs: 15_000, description: 'live output for the watcher' });
    const learnerSees = await eventually(
      async () => {
        const view = await call<LearnerWorkshopView>('GET', `/api/v1/sessions/${grace.sessionId}/workshop`);
        return view.body.watching ? view.body : undefined;
      },
      { timeoutMs: 10_000, description: 'the learner told they are watched' },
    );
    assert.equal(learnerSees.workshop.title, 'Docker 101');

    watcher.emit('input', 'echo typed-by-$((1+1))-instructor\r');
    await eventually(async () => refusals.length > 0, { timeoutMs: 10_000, description: 'the refusal' });
    assert.match(refusals[0]!, /read-only/);
    assert.ok(!learnerScreen.text().includes('typed-by-2-instructor'), "the watcher's input never reached the shell");

    // Allowing before being asked is refused; asked, then allowed, the instructor types.
    assert.equal((await call('POST', `/api/v1/sessions/${grace.sessionId}/workshop/help`, { allow: true })).status, 400);
    await asInstructor('POST', `/api/v1/workshops/${workshop.id}/learners/${first.body.learnerId}/help`);
    assert.equal((await call<LearnerWorkshopView>('GET', `/api/v1/sessions/${grace.sessionId}/workshop`)).body.help, 'requested');
    const allowed = await call<LearnerWorkshopView>('POST', `/api/v1/sessions/${grace.sessionId}/workshop/help`, { allow: true });
    assert.equal(allowed.body.help, 'granted');
    await eventually(async () => controls.some((info) => info.canType), { timeoutMs: 10_000, description: 'the watcher told it may type' });
    watcher.emit('input', 'echo helped-by-$((2+3))\r');
    await eventually(async () => learnerScreen.text().includes('helped-by-5'), { timeoutMs: 15_000, description: "the instructor's input in Grace's shell" });
    await call('POST', `/api/v1/sessions/${grace.sessionId}/workshop/help`, { allow: false });
    await eventually(async () => controls.at(-1)?.canType === false, { timeoutMs: 10_000, description: 'typing revoked' });

    // Talking to the class.
    const sent = await asInstructor<{ delivered: number }>('POST', `/api/v1/workshops/${workshop.id}/broadcast`, { message: 'Break until 11:00' });
    assert.equal(sent.body.delivered, 2);
    for (const sessionId of [first.body.sessionId, second.body.sessionId]) {
      const view = await call<LearnerWorkshopView>('GET', `/api/v1/sessions/${sessionId}/workshop`);
      assert.equal(view.body.broadcast?.message, 'Break until 11:00');
    }
    const pushed = await asInstructor<LearnerResultsView>('POST', `/api/v1/workshops/${workshop.id}/files`, {
      path: 'exercises/compose.yaml',
      content: Buffer.from('services:\n  web:\n    image: nginx\n').toString('base64'),
    });
    assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
    assert.deepEqual(pushed.body.results.map((result) => result.ok), [true, true]);
    const ran = await asInstructor<LearnerResultsView>('POST', `/api/v1/workshops/${workshop.id}/exec`, { command: 'cat /root/exercises/compose.yaml; hostname; exit 3' });
    assert.deepEqual(ran.body.results.map((result) => [result.name, result.exitCode]), [['Grace', 3], ['Linus', 3]]);
    assert.ok(ran.body.results.every((result) => result.output?.includes('image: nginx') && result.output.includes('lab')));

    const metrics = await (await fetch(`${stack.orchestratorUrl}/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` } })).text();
    assert.match(metrics, /^playground_workshop_joins_total\{seat="prepared"\} 2$/m);
    assert.match(metrics, /^playground_workshop_seats\{state="taken"\} 2$/m);

    // The dashboard: both learners, Grace connected and recently active.
    const dashboard = await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${workshop.id}`);
    assert.deepEqual(dashboard.body.learners.map((learner) => [learner.name, learner.connected]), [['Grace', true], ['Linus', false]]);
    assert.equal(dashboard.body.seatsReady, 0);

    const extended = await asInstructor<WorkshopView>('POST', `/api/v1/workshops/${workshop.id}/extend`, { minutes: 30, learnerId: second.body.learnerId });
    const linus = extended.body.learners.find((learner) => learner.name === 'Linus')!;
    assert.ok(new Date(linus.expiresAt).getTime() > Date.now() + 85 * 60_000, 'Linus got 30 more minutes');

    learnerTerminal.close();
    watcher.close();
    const csv = await asInstructor<string>('GET', `/api/v1/workshops/${workshop.id}/attendance.csv`);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'name,joined_at,last_activity_at,minutes_connected,status');
    assert.deepEqual(lines.slice(1).map((line) => line.split(',')[0]), ['Grace', 'Linus']);

    // The end: every learner's session ends and nothing stays on the engine.
    assert.equal((await asInstructor('DELETE', `/api/v1/workshops/${workshop.id}`)).status, 204);
    for (const sessionId of [first.body.sessionId, second.body.sessionId]) {
      await eventually(async () => (await stack.api<SessionView>('GET', `/api/v1/sessions/${sessionId}`)).status === 404, {
        timeoutMs: 60_000,
        description: `session ${sessionId} ended`,
      });
    }
    await eventually(async () => (await stack.leftovers()).length === 0 || undefined, { timeoutMs: 60_000, description: 'nothing left on the engine' });
    const ended = await call<ErrorAnswer>('POST', '/api/v1/workshops/join', { code: workshop.code, name: 'After' });
    assert.equal(ended.status, 410);
  });

  it('an instructor uploads a lab (validated, listed beside the shipped ones) and runs a workshop that follows it', async () => {
    const lab = [
      '---',
      'title: Our own lab',
      'description: A lab an instructor wrote for their class.',
      'language: en',
      'duration: 5',
      'template:',
      '  instances:',
      '    - hostname: box',
      '      files:',
      '        - path: /root/notes.txt',
      '          content: "read me first"',
      '---',
      '',
      '## Read the notes',
      '',
      '```sh',
      'cat /root/notes.txt',
      '```',
      '',
    ].join('\n');
    const broken = await asInstructor<ErrorAnswer>('POST', '/api/v1/labs', { slug: 'our-lab', markdown: lab.replace('language: en', 'language: fr') });
    assert.equal(broken.status, 400);
    assert.match(broken.body.error.message, /our-lab\.md:4: .*language/);
    const shipped = await asInstructor<ErrorAnswer>('POST', '/api/v1/labs', { slug: 'containers-vs-vms', markdown: lab });
    assert.equal(shipped.body.error.code, 'slug_taken');

    const uploaded = await asInstructor<{ slug: string; title: string }>('POST', '/api/v1/labs', { slug: 'our-lab', markdown: lab });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    const listed = await call<{ labs: Array<{ slug: string }> }>('GET', '/api/v1/labs');
    assert.ok(listed.body.labs.some((entry) => entry.slug === 'our-lab') && listed.body.labs.some((entry) => entry.slug === 'containers-vs-vms'));
    assert.equal((await call<{ title: string }>('GET', '/api/v1/labs/our-lab')).body.title, 'Our own lab');
    const other = await stack.admin<CreatedInstructorView>('POST', '/api/v1/instructors', { email: 'rival@example.org', name: 'Rival' });
    const taken = await call<ErrorAnswer>('POST', '/api/v1/labs', { slug: 'our-lab', markdown: lab }, { token: other.body.token });
    assert.equal(taken.body.error.code, 'slug_taken');

    const created = await asInstructor<WorkshopView>('POST', '/api/v1/workshops', { title: 'Lab class', seats: 1, lab: { slug: 'our-lab' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.lab, { slug: 'our-lab', language: 'en' });
    assert.equal(created.body.template.instances[0]?.hostname, 'box');
    await asInstructor('POST', `/api/v1/workshops/${created.body.id}/prepare`);
    await eventually(async () => (await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${created.body.id}`)).body.seatsReady === 1, {
      timeoutMs: 120_000,
      description: 'the lab seat ready',
    });
    const joined = await call<JoinedView>('POST', '/api/v1/workshops/join', { code: created.body.code, name: 'Ada' });
    assert.deepEqual(joined.body.lab, { slug: 'our-lab', language: 'en' });
    const box = joined.body.instances.find((instance) => instance.hostname === 'box')!;
    const notes = await stack.api<{ output: string }>('POST', `/api/v1/sessions/${joined.body.sessionId}/instances/${box.id}/exec`, { script: 'cat /root/notes.txt' });
    assert.equal(notes.body.output.trim(), 'read me first');
    assert.equal((await asInstructor('DELETE', `/api/v1/workshops/${created.body.id}`)).status, 204);
    assert.equal((await asInstructor('DELETE', '/api/v1/labs/our-lab')).status, 204);
    assert.equal((await call('GET', '/api/v1/labs/our-lab')).status, 404);
  });

  it('makes a failed prepared seat again, at most as many times as it has seats, and gives the room back', async () => {
    const created = await asInstructor<WorkshopView>('POST', '/api/v1/workshops', {
      title: 'Broken setup',
      seats: 1,
      template: { instances: [{ setup: 'echo this setup fails; exit 1' }] },
    });
    await asInstructor('POST', `/api/v1/workshops/${created.body.id}/prepare`);
    const settled = await eventually(
      async () => {
        const view = (await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${created.body.id}`)).body;
        return view.seatsFailed === 2 && view.seatsPreparing === 0 ? view : undefined;
      },
      { timeoutMs: 180_000, description: 'the seat and its one replacement failed' },
    );
    assert.equal(settled.seatsReady, 0);
    const providers = await call<{ providers: string[] }>('GET', '/api/v1/sign-in/providers');
    assert.deepEqual(providers.body.providers, ['email']);
    assert.equal((await asInstructor('DELETE', `/api/v1/workshops/${created.body.id}`)).status, 204);
  });

  it('prepares a scheduled workshop by itself before it starts', async () => {
    const startsAt = new Date(Date.now() + 5 * 60_000).toISOString();
    const created = await asInstructor<WorkshopView>('POST', '/api/v1/workshops', { title: 'Tomorrow', seats: 1, startsAt });
    assert.equal(created.body.status, 'scheduled');
    assert.equal(created.body.seatsReady + created.body.seatsPreparing, 0);
    await eventually(async () => (await asInstructor<WorkshopView>('GET', `/api/v1/workshops/${created.body.id}`)).body.seatsReady === 1, {
      timeoutMs: 120_000,
      description: 'the seat prepared within the lead time, without being asked',
    });
    assert.equal((await asInstructor('DELETE', `/api/v1/workshops/${created.body.id}`)).status, 204);
  });
});
