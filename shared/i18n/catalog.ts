/**
 * The shape every catalog has: en.ts's keys, with its strings widened to `string`. The one source of the
 * app's words, for the renderer and for the main process (notifications, tray). No Node, no DOM, no React.
 */
import { en } from './en.js';
import { de } from './de.js';

type Widen<T> = T extends string ? string : T extends (...args: infer A) => string ? (...args: A) => string : { [K in keyof T]: Widen<T[K]> };

export type Catalog = Widen<typeof en>;

export const languages = ['en', 'de'] as const;
export type Language = (typeof languages)[number];

const catalogs: Record<Language, Catalog> = { en, de };

export function catalogFor(language: Language): Catalog {
  return catalogs[language];
}

/**
 * The first of the OS's preferred languages that Klatsch speaks; English otherwise. BCP 47 tags, best first,
 * or POSIX locales (`de_DE.UTF-8`) as the main process gets them.
 */
export function languageFromPreferences(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split(/[-_.]/)[0];
    const found = languages.find((l) => l === base);
    if (found) return found;
  }
  return 'en';
}

/**
 * The locale for dates and numbers: the OS's own tag for that language when it has one
 * (en-GB keeps its day-month order), else the bare language.
 */
export function localeFor(language: Language, preferred: readonly string[]): string {
  return preferred.find((tag) => tag.toLowerCase().split(/[-_]/)[0] === language)?.replace('_', '-') ?? language;
}

/** The language in force: the user's setting, or the OS's when the setting follows the system. */
export function languageFor(setting: Language | 'system', preferred: readonly string[]): Language {
  return setting === 'system' ? languageFromPreferences(preferred) : setting;
}
