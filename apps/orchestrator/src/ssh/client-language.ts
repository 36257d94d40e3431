import { TerminalLanguage } from '@playground/contracts';

// The language an SSH client's locale asks for, from the variables OpenSSH sends with
// `SendEnv LANG LC_*` (Debian's and most distributions' default client configuration).

/** The locale variables that name a language, by POSIX precedence (LC_ALL wins, LANG is the default). */
export const LOCALE_VARIABLES = ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const;

/**
 * `ko_KR.UTF-8` → `ko`. The first variable set decides, as for the programs of that client;
 * undefined when it names no language the instance greets in (`C`, `POSIX`, `fr_FR`, garbage),
 * so the session's own language applies.
 */
export function localeLanguage(env: Partial<Record<(typeof LOCALE_VARIABLES)[number], string>>): TerminalLanguage | undefined {
  const locale = LOCALE_VARIABLES.map((name) => env[name]).find((value) => value !== undefined && value !== '');
  const language = /^([a-z]{2,3})(?:[_.@-]|$)/i.exec(locale ?? '')?.[1]?.toLowerCase();
  const parsed = TerminalLanguage.safeParse(language);
  return parsed.success ? parsed.data : undefined;
}
