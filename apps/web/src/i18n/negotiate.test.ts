import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateLocale } from './negotiate.ts';

describe('negotiateLocale', () => {
  it('follows the browser: Korean first means Korean, whatever the region', () => {
    assert.equal(negotiateLocale(undefined, 'ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7'), 'ko');
    assert.equal(negotiateLocale(undefined, 'ko'), 'ko');
    assert.equal(negotiateLocale(undefined, 'en-US,en;q=0.9'), 'en');
  });

  it('weighs the preferences (q), not their order', () => {
    assert.equal(negotiateLocale(undefined, 'en;q=0.5,ko;q=0.9'), 'ko');
  });

  it('takes the first language it has from the list', () => {
    assert.equal(negotiateLocale(undefined, 'ja-JP,ko;q=0.8,en;q=0.5'), 'ko');
  });

  it('falls back to English for languages it does not have, no header, or a malformed one', () => {
    assert.equal(negotiateLocale(undefined, 'fr-FR,fr;q=0.9'), 'en');
    assert.equal(negotiateLocale(undefined, undefined), 'en');
    assert.equal(negotiateLocale(undefined, '*'), 'en');
    assert.equal(negotiateLocale(undefined, '!!,@@;q=x'), 'en');
  });

  it('the remembered choice (cookie) wins over the browser; an unknown cookie is ignored', () => {
    assert.equal(negotiateLocale('en', 'ko-KR,ko;q=0.9'), 'en');
    assert.equal(negotiateLocale('ko', 'en-US'), 'ko');
    assert.equal(negotiateLocale('de', 'ko-KR'), 'ko');
  });
});
