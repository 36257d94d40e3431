import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localeLanguage } from './client-language.ts';

test('an SSH client locale names the greeting language, by POSIX precedence', () => {
  const cases: Array<[Parameters<typeof localeLanguage>[0], string | undefined]> = [
    [{ LANG: 'ko_KR.UTF-8' }, 'ko'],
    [{ LANG: 'ko' }, 'ko'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'KO_kr.utf8' }, 'ko'],
    [{ LANG: 'ko_KR.UTF-8', LC_MESSAGES: 'en_GB.UTF-8' }, 'en'],
    [{ LANG: 'en_US.UTF-8', LC_MESSAGES: 'en_US.UTF-8', LC_ALL: 'ko_KR.UTF-8' }, 'ko'],
    [{ LANG: 'ko_KR.UTF-8', LC_ALL: '' }, 'ko'],
    [{ LANG: 'C.UTF-8' }, undefined],
    [{ LANG: 'POSIX' }, undefined],
    [{ LANG: 'fr_FR.UTF-8' }, undefined],
    [{ LANG: 'korean' }, undefined],
    [{}, undefined],
  ];
  for (const [env, expected] of cases) assert.equal(localeLanguage(env), expected, JSON.stringify(env));
});
