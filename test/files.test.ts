import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import type { FileListView, FileTextView, InstanceView, SessionView } from '@playground/contracts';
import { startTestStack, type TestStack } from './support/test-stack.ts';

// The file panel's API across the real stack (edge, orchestrator, node agent, a real
// instance): listing, the editor's read and write, download, multipart upload, and every
// refusal a learner or a stranger can meet. Limits are small here so the 413s are cheap.

const UPLOAD_MAX_BYTES = 2 * 1024 * 1024;
const EDITOR_MAX_BYTES = 64 * 1024;

type ErrorReply = { error: { code: string; message: string } };

/** Unpacks a tar answer with the system's tar into a fresh directory: what a learner's machine would do with the download. */
async function untar(response: Response): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'download-'));
  const tar = execFile('tar', ['-x', '-C', directory]);
  const exited = new Promise<void>((resolve, reject) => tar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`)))));
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), tar.stdin!);
  await exited;
  return directory;
}

describe('instance files API', { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let sessionId: string;
  let instance: InstanceView;
  let files: string;

  const exec = async (script: string) => {
    const answer = await stack.api<{ exitCode: number; output: string }>('POST', `/api/v1/sessions/${sessionId}/instances/${instance.id}/exec`, { script });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const upload = (form: FormData, directory?: string) =>
    fetch(`${stack.baseUrl}${files}/upload${directory ? `?path=${encodeURIComponent(directory)}` : ''}`, { method: 'POST', body: form });
  const list = (path?: string) => stack.api<FileListView & ErrorReply>('GET', `${files}${path === undefined ? '' : `?path=${encodeURIComponent(path)}`}`);

  before(async () => {
    stack = await startTestStack('files', {
      web: true,
      env: { FILES_UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES), FILES_EDITOR_MAX_BYTES: String(EDITOR_MAX_BYTES) },
    });
    const session = await stack.api<SessionView>('POST', '/api/v1/sessions');
    assert.equal(session.status, 201, JSON.stringify(session.body));
    sessionId = session.body.id;
    const created = await stack.api<InstanceView>('POST', `/api/v1/sessions/${sessionId}/instances`);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    instance = created.body;
    files = `/api/v1/sessions/${sessionId}/instances/${instance.id}/files`;
  });
  after(async () => stack?.teardown());

  it('lists /root: directories first, symlinks with their target, and the limits the page must respect', async () => {
    await exec('mkdir -p /root/project/src && printf "hello" > /root/project/readme.md && ln -s project/readme.md /root/link.md && printf x > /root/a.txt');
    const root = await list();
    assert.equal(root.status, 200, JSON.stringify(root.body));
    assert.equal(root.body.path, '/root');
    assert.deepEqual(root.body.limits, { uploadMaxBytes: UPLOAD_MAX_BYTES, editorMaxBytes: EDITOR_MAX_BYTES });
    const names = root.body.entries.map((entry) => entry.name);
    assert.ok(names.indexOf('project') < names.indexOf('a.txt'), names.join(' '));
    const link = root.body.entries.find((entry) => entry.name === 'link.md');
    assert.deepEqual([link?.kind, link?.target, link?.targetKind, link?.path], ['symlink', 'project/readme.md', 'file', '/root/link.md']);

    const project = await list('project');
    assert.equal(project.body.path, '/root/project');
    assert.deepEqual(
      project.body.entries.map((entry) => [entry.name, entry.kind, entry.size]),
      [['src', 'directory', project.body.entries[0]!.size], ['readme.md', 'file', 5]],
    );
  });

  it('writes a file for the editor, reads it back, and the instance sees it; symlinks are read through', async () => {
    const text = 'services:\n  web:\n    image: nginx # 한국어 too\n';
    const saved = await stack.api<{ path: string; size: number }>('PUT', `${files}/text`, { path: 'compose/compose.yaml', content: text });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body, { path: '/root/compose/compose.yaml', size: Buffer.byteLength(text) });
    const read = await stack.api<FileTextView>('GET', `${files}/text?path=/root/compose/compose.yaml`);
    assert.equal(read.status, 200);
    assert.equal(read.body.content, text);
    assert.equal((await exec('cat /root/compose/compose.yaml')).output, text);
    const throughLink = await stack.api<FileTextView>('GET', `${files}/text?path=link.md`);
    assert.equal(throughLink.body.content, 'hello');
  });

  it('a write follows a symlink as the shell would and keeps an existing file its mode', async () => {
    await exec('printf "#!/bin/sh\\necho old\\n" > /root/run.sh && chmod 750 /root/run.sh');
    assert.equal((await stack.api('PUT', `${files}/text`, { path: 'link.md', content: 'through the link' })).status, 200);
    assert.equal((await stack.api('PUT', `${files}/text`, { path: 'run.sh', content: '#!/bin/sh\necho new\n' })).status, 200);
    const { output } = await exec('readlink /root/link.md; cat /root/project/readme.md; echo; stat -c %a /root/run.sh; /root/run.sh');
    assert.deepEqual(output.trim().split('\n'), ['project/readme.md', 'through the link', '750', 'new']);
    await exec('printf hello > /root/project/readme.md');
  });

  it('downloads a file with its name, streaming one bigger than a chunk byte for byte', async () => {
    const small = await fetch(`${stack.baseUrl}${files}/download?path=${encodeURIComponent('/root/project/readme.md')}`);
    assert.equal(small.status, 200);
    assert.equal(small.headers.get('content-disposition'), 'attachment; filename="readme.md"');
    assert.equal(small.headers.get('content-type'), 'application/octet-stream');
    assert.equal(await small.text(), 'hello');

    await exec('head -c 2000000 /dev/urandom > /root/big.bin');
    const { output } = await exec('sha256sum /root/big.bin');
    const big = await fetch(`${stack.baseUrl}${files}/download?path=big.bin`);
    assert.equal(big.status, 200);
    assert.equal(big.headers.get('content-length'), '2000000');
    const bytes = Buffer.from(await big.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), output.split(' ')[0]);
  });

  it('uploads several files (multipart) into /root or a directory under it, then lists them', async () => {
    const form = new FormData();
    form.append('file', new Blob(['FROM busybox\n']), 'Dockerfile');
    form.append('file', new Blob([new Uint8Array([0, 1, 2, 255])]), 'data.bin');
    const uploaded = await upload(form);
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    assert.deepEqual(await uploaded.json(), { files: [{ path: '/root/Dockerfile', size: 13 }, { path: '/root/data.bin', size: 4 }] });
    const names = (await list()).body.entries.map((entry) => entry.name);
    assert.ok(names.includes('Dockerfile') && names.includes('data.bin'), names.join(' '));
    assert.equal((await exec('cat /root/Dockerfile; od -An -tu1 /root/data.bin')).output.replace(/\s+/g, ' ').trim(), 'FROM busybox 0 1 2 255');

    // Bigger than one Socket.IO message may be towards the orchestrator (1 MB): the way to the agent carries it whole.
    const big = new Uint8Array(UPLOAD_MAX_BYTES - 1024).map((_, index) => (index * 31) % 251);
    const bigForm = new FormData();
    bigForm.append('file', new Blob([big]), 'big-upload.bin');
    assert.equal((await upload(bigForm)).status, 201);
    const { output: sum } = await exec('sha256sum /root/big-upload.bin');
    assert.equal(sum.split(' ')[0], createHash('sha256').update(big).digest('hex'));

    const nested = new FormData();
    nested.append('file', new Blob(['x']), 'deep.txt');
    assert.equal((await upload(nested, '/root/new/dir')).status, 201);
    assert.equal((await exec('cat /root/new/dir/deep.txt')).output, 'x');
  });

  it('refuses paths outside /root, `..` and NUL bytes with a 400, on every route', async () => {
    const bad = ['../etc/passwd', '/root/../etc/shadow', '/etc/passwd', 'a\0b'];
    for (const path of bad) {
      for (const route of ['', '/text', '/download']) {
        const answer = await stack.api<ErrorReply>('GET', `${files}${route}?path=${encodeURIComponent(path)}`);
        assert.equal(answer.status, 400, `${route} ${JSON.stringify(path)}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'bad_request');
        assert.match(answer.body.error.message, /^Invalid path: /);
      }
      const write = await stack.api<ErrorReply>('PUT', `${files}/text`, { path, content: 'x' });
      assert.equal(write.status, 400, JSON.stringify(write.body));
      const form = new FormData();
      form.append('file', new Blob(['x']), 'x.txt');
      const refused = await upload(form, path).catch((error: Error) => assert.fail(`upload to ${JSON.stringify(path)}: ${error.message} ${String(error.cause)}`));
      assert.equal(refused.status, 400);
    }
    const slashName = new FormData();
    slashName.append('file', new Blob(['x']), '..');
    const refusedName = await upload(slashName);
    assert.equal(refusedName.status, 400);
    assert.equal(((await refusedName.json()) as ErrorReply).error.code, 'bad_request');
    assert.equal((await exec('ls /etc/passwd.x 2>&1; test -e /root/x.txt && echo there || echo absent')).output.trim().split('\n').pop(), 'absent');
  });

  it('missing files are 404, directories are not files, binaries do not open in the editor', async () => {
    const missing = await stack.api<ErrorReply>('GET', `${files}/text?path=nope.txt`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.equal(missing.body.error.message, '/root/nope.txt does not exist.');
    assert.equal((await list('nope')).status, 404);
    assert.equal((await list('a.txt')).status, 400);
    const directory = await stack.api<ErrorReply>('GET', `${files}/download?path=project`);
    assert.equal(directory.status, 400);
    assert.match(directory.body.error.message, /is a directory/);
    const binary = await stack.api<ErrorReply>('GET', `${files}/text?path=data.bin`);
    assert.equal(binary.status, 415);
    assert.equal(binary.body.error.code, 'unsupported_file');
    assert.match(binary.body.error.message, /not a text file/);
  });

  it('too large is a 413 naming the limit: uploads, and files for the editor both ways', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(UPLOAD_MAX_BYTES + 1)]), 'huge.bin');
    const huge = await upload(form);
    assert.equal(huge.status, 413);
    const hugeBody = (await huge.json()) as ErrorReply;
    assert.equal(hugeBody.error.code, 'file_too_large');
    assert.match(hugeBody.error.message, /"huge\.bin" is larger than the upload limit of 2 MB/);
    assert.equal((await exec('test -e /root/huge.bin && echo there || echo absent')).output.trim(), 'absent');

    const open = await stack.api<ErrorReply>('GET', `${files}/text?path=big.bin`);
    assert.equal(open.status, 413);
    assert.match(open.body.error.message, /the editor opens files up to 64 KB/);
    const save = await stack.api<ErrorReply>('PUT', `${files}/text`, { path: 'big.txt', content: 'x'.repeat(EDITOR_MAX_BYTES + 1) });
    assert.equal(save.status, 413);
    assert.match(save.body.error.message, /up to 64 KB/);
  });

  it('an unknown instance is a 404; another session cannot reach this instance', async () => {
    const unknown = await stack.api<ErrorReply>('GET', `/api/v1/sessions/${sessionId}/instances/${'b'.repeat(26)}/files`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const stranger = await stack.api<SessionView>('POST', '/api/v1/sessions');
    const foreign = `/api/v1/sessions/${stranger.body.id}/instances/${instance.id}/files`;
    for (const [method, route, body] of [
      ['GET', '', undefined],
      ['GET', '/text?path=a.txt', undefined],
      ['GET', '/download?path=a.txt', undefined],
      ['PUT', '/text', { path: 'a.txt', content: 'taken' }],
    ] as const) {
      const answer = await stack.api<ErrorReply>(method, `${foreign}${route}`, body);
      assert.equal(answer.status, 404, `${method} ${route}`);
    }
    const form = new FormData();
    form.append('file', new Blob(['taken']), 'a.txt');
    const foreignUpload = await fetch(`${stack.baseUrl}${foreign}/upload`, { method: 'POST', body: form });
    assert.equal(foreignUpload.status, 404);
    assert.equal((await exec('cat /root/a.txt')).output, 'x');
  });
  it('Download my work: /root as a tar streamed from the node, with the files as the learner left them', async () => {
    await exec('mkdir -p /root/work && printf "my notes" > /root/work/notes.md && head -c 12582912 /dev/urandom > /root/work/big.bin && sha256sum /root/work/big.bin | cut -d" " -f1 > /root/work/big.sha');
    const response = await fetch(`${stack.baseUrl}/api/v1/sessions/${sessionId}/instances/${instance.id}/download/home`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-tar');
    assert.match(response.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="${instance.hostname}-root.tar"`));
    const directory = await untar(response);
    try {
      assert.equal(await readFile(path.join(directory, 'root/work/notes.md'), 'utf8'), 'my notes');
      const expected = (await readFile(path.join(directory, 'root/work/big.sha'), 'utf8')).trim();
      assert.equal(createHash('sha256').update(await readFile(path.join(directory, 'root/work/big.bin'))).digest('hex'), expected);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('Download my work: docker save of images in the instance; missing and malformed names are refused before any byte', async () => {
    const pulled = await exec('docker pull -q busybox >/dev/null && docker tag busybox my/app:1 && echo ok');
    assert.equal(pulled.output.trim(), 'ok', pulled.output);
    const images = `/api/v1/sessions/${sessionId}/instances/${instance.id}/download/images`;
    const response = await fetch(`${stack.baseUrl}${images}?images=my/app:1`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-disposition') ?? '', /-images\.tar"/);
    const directory = await untar(response);
    try {
      const manifest = JSON.parse(await readFile(path.join(directory, 'manifest.json'), 'utf8')) as { RepoTags: string[] }[];
      assert.deepEqual(manifest.map((entry) => entry.RepoTags).flat(), ['my/app:1']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }

    const missing = await stack.api<ErrorReply>('GET', `${images}?images=my/app:1,nope:404`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /no such image in this instance: nope:404/);
    for (const bad of ['', '--output=/etc/passwd', 'a b']) {
      const refused = await stack.api<ErrorReply>('GET', `${images}?images=${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 400, `${bad}: ${JSON.stringify(refused.body)}`);
    }
    const stranger = await stack.api<SessionView>('POST', '/api/v1/sessions');
    const foreign = await stack.api<ErrorReply>('GET', `/api/v1/sessions/${stranger.body.id}/instances/${instance.id}/download/home`);
    assert.equal(foreign.status, 404);
    await stack.api('DELETE', `/api/v1/sessions/${stranger.body.id}`);
  });
});
