import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOriginPolicy } from './origin-policy.ts';

describe('origin policy', () => {
  const judge = createOriginPolicy('https://play.example.com', ['https://docs.example.com']);
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'none'], // curl, server to server
    ['https://play.example.com', 'own'],
    ['HTTPS://PLAY.EXAMPLE.COM', 'own'],
    ['https://docs.example.com', 'allowed'],
    ['https://evil.example.net', 'refused'],
    ['http://play.example.com', 'refused'], // another scheme is another origin
    ['https://play.example.com:8443', 'refused'],
    ['null', 'refused'], // sandboxed frames and file: pages
    ['', 'refused'],
  ];
  for (const [origin, kind] of cases) {
    it(`Origin ${origin === undefined ? '(none)' : JSON.stringify(origin)} → ${kind}`, () => assert.equal(judge(origin).kind, kind));
  }
});

describe('origin policy with EMBED_ORIGINS=*', () => {
  const judge = createOriginPolicy('https://play.example.com', [], true);
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'none'],
    ['https://play.example.com', 'own'],
    ['https://anyone.example.net', 'allowed'],
    ['null', 'refused'], // no origin to count or echo
    ['https://a.example, https://b.example', 'refused'], // not one page
    ['', 'refused'],
  ];
  for (const [origin, kind] of cases) {
    it(`Origin ${origin === undefined ? '(none)' : JSON.stringify(origin)} → ${kind}`, () => assert.equal(judge(origin).kind, kind));
  }
});
