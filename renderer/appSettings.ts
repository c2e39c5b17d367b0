/** What the app-wide settings mean for the page: the language in force and the theme attribute. Pure, DOM-free. */
import type { AppSettings } from '../shared/contract';
import { languageFromPreferences, type Language } from '../shared/i18n/catalog';

/** The chosen language, or for 'system' the first of the OS's languages Klatsch speaks. */
export function languageInForce(setting: AppSettings['language'], osLanguages: readonly string[]): Language {
  return setting === 'system' ? languageFromPreferences(osLanguages) : setting;
}

/** `data-theme` on <html>: absent for 'system' (the CSS follows prefers-color-scheme), else the forced theme. */
export function themeAttribute(setting: AppSettings['theme']): 'light' | 'dark' | undefined {
  return setting === 'system' ? undefined : setting;
}
