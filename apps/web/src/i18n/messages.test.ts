import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { DEFAULT_LOCALE, LOCALES } from './locales.ts';

// Every language has every message of the default one, no more, each with the same
// placeholders (`{name}`, plurals) and rich-text tags (`<code>`): a message missing in one
// language would show its key, a placeholder missing would show nothing where a value belongs.

type Messages = { [key: string]: string | Messages };

const read = (locale: string): Messages => JSON.parse(readFileSync(new URL(`../../messages/${locale}.json`, import.meta.url), 'utf8')) as Messages;

function flatten(messages: Messages, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    if (typeof value === 'string') out.set(prefix + key, value);
    else for (const [inner, text] of flatten(value, `${prefix}${key}.`)) out.set(inner, text);
  }
  return out;
}

/** The names a message needs filled: arguments, plural/select variables and rich-text tags. */
function slots(elements: MessageFormatElement[], found = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.argument || element.type === TYPE.number || element.type === TYPE.date || element.type === TYPE.time) {
      found.add(`{${element.value}}`);
    } else if (element.type === TYPE.plural || element.type === TYPE.select) {
      found.add(`{${element.value}}`);
      for (const option of Object.values(element.options)) slots(option.value, found);
    } else if (element.type === TYPE.tag) {
      found.add(`<${element.value}>`);
      slots(element.children, found);
    }
  }
  return found;
}

const reference = flatten(read(DEFAULT_LOCALE));

describe('message files', () => {
  it('the default language has messages', () => {
    assert.ok(reference.size > 100, `only ${reference.size} messages in ${DEFAULT_LOCALE}.json`);
  });

  for (const locale of LOCALES.filter((l) => l !== DEFAULT_LOCALE)) {
    const messages = flatten(read(locale));

    it(`${locale} has exactly the keys of ${DEFAULT_LOCALE}`, () => {
      assert.deepEqual([...messages.keys()].filter((key) => !reference.has(key)), [], `keys only in ${locale}.json`);
      assert.deepEqual([...reference.keys()].filter((key) => !messages.has(key)), [], `keys missing from ${locale}.json`);
    });

    it(`${locale} fills the same placeholders and tags as ${DEFAULT_LOCALE}`, () => {
      for (const [key, text] of reference) {
        const translated = messages.get(key);
        if (translated === undefined) continue;
        assert.deepEqual([...slots(parse(translated))].sort(), [...slots(parse(text))].sort(), `${key}: "${translated}" vs "${text}"`);
      }
    });

    it(`${locale} translates rather than copies`, () => {
      // Same text in both is fine for symbols and names ("—", "Playground"); not for sentences.
      const copied = [...reference].filter(([key, text]) => messages.get(key) === text && /[a-z]{3,} [a-z]{3,}/i.test(text)).map(([key]) => key);
      assert.deepEqual(copied, [], `${locale}.json copies English sentences`);
    });
  }

  it('every message parses as ICU MessageFormat', () => {
    for (const locale of LOCALES) for (const [key, text] of flatten(read(locale))) assert.doesNotThrow(() => parse(text), `${locale}: ${key}`);
  });
});
