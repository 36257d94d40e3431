import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { LabSummaryView, LabView } from '@playground/labs';
import { loadLabCatalog } from '../labs.ts';
import { createErrorHandler } from './errors.ts';
import { registerLabRoutes } from './lab-routes.ts';

// The lab routes over the shipped labs (labs/en, labs/ko), as a browser asks for them.

describe('GET /api/v1/labs', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    app.setErrorHandler(createErrorHandler(pino({ level: 'silent' })));
    registerLabRoutes(app, await loadLabCatalog());
    await app.ready();
  });
  after(async () => app?.close());

  it('lists every lab once, in the reader\'s language, with what it offers', async () => {
    const english = (await app.inject({ url: '/api/v1/labs', headers: { 'accept-language': 'en-US,en;q=0.9' } })).json<{ labs: LabSummaryView[] }>();
    const korean = (await app.inject({ url: '/api/v1/labs', headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.5' } })).json<{ labs: LabSummaryView[] }>();
    assert.ok(english.labs.length >= 5);
    assert.deepEqual(korean.labs.map((lab) => lab.slug), english.labs.map((lab) => lab.slug));
    const first = english.labs.find((lab) => lab.slug === 'containers-vs-vms')!;
    assert.equal(first.language, 'en');
    assert.deepEqual(first.languages, ['en', 'ko']);
    assert.ok(first.steps > 0 && first.duration > 0 && first.instances === 1);
    assert.equal(korean.labs.find((lab) => lab.slug === 'containers-vs-vms')!.language, 'ko');
    const asked = (await app.inject({ url: '/api/v1/labs?lang=ko', headers: { 'accept-language': 'en' } })).json<{ labs: LabSummaryView[] }>();
    assert.ok(asked.labs.every((lab) => lab.language === 'ko'), '?lang= wins over the browser');
  });

  it('serves one lab with its steps, blocks and checks, and not the server\'s file path', async () => {
    const response = await app.inject({ url: '/api/v1/labs/first-dockerfile?lang=ko' });
    assert.equal(response.statusCode, 200);
    const lab = response.json<LabView>();
    assert.equal(lab.language, 'ko');
    assert.equal(lab.slug, 'first-dockerfile');
    assert.ok(lab.steps[0]!.blocks.length > 0 && lab.steps[0]!.check);
    assert.equal((lab as Record<string, unknown>).file, undefined);
  });

  it('answers an unknown lab or a bad language with a JSON error', async () => {
    const missing = await app.inject({ url: '/api/v1/labs/no-such-lab' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error.message, /no lab "no-such-lab"/);
    const bad = await app.inject({ url: '/api/v1/labs/containers-vs-vms?lang=xx' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'bad_request');
    assert.equal((await app.inject({ url: '/api/v1/labs/..%2Fetc' })).statusCode, 400);
  });
});
