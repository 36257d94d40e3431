import { TerminalLanguage } from '@playground/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import Negotiator from 'negotiator';

/**
 * The language a request asks for among those the instance image greets in: the one it names
 * (a page's own choice), else the best match of its Accept-Language; undefined when it says
 * nothing (no header), so a session started by a script records no language.
 */
export function requestLanguage(named: TerminalLanguage | undefined, headers: IncomingHttpHeaders): TerminalLanguage | undefined {
  if (named) return named;
  if (!headers['accept-language']) return undefined;
  const best = new Negotiator({ headers }).language([...TerminalLanguage.options]);
  return TerminalLanguage.safeParse(best).success ? (best as TerminalLanguage) : undefined;
}
