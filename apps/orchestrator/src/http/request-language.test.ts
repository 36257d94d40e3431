import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestLanguage } from './request-language.ts';

test("a session's language: the one the page names, else the best of Accept-Language, else none", () => {
  assert.equal(requestLanguage('ko', { 'accept-language': 'en-US,en;q=0.9' }), 'ko');
  assert.equal(requestLanguage(undefined, { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8' }), 'ko');
  assert.equal(requestLanguage(undefined, { 'accept-language': 'fr-FR,en;q=0.5,ko;q=0.4' }), 'en');
  assert.equal(requestLanguage(undefined, { 'accept-language': 'fr-FR' }), undefined);
  assert.equal(requestLanguage(undefined, {}), undefined);
});
