/**
 * The few texts the main process shows itself (notifications, the tray menu),
 * in English and German. The renderer's catalogs (renderer/i18n/) hold the
 * rest; these live here because the core never imports the renderer. The
 * `satisfies` holds the German to the same keys and parameters.
 */
import type { AppSettings } from '../../../shared/contract.js';

export type ShellLanguage = 'en' | 'de';

const en = {
  newMessageFrom: (name: string) => `New message from ${name}`,
  newPrivateMessageFrom: (name: string) => `New private message from ${name}`,
  wantsToAuthenticate: (name: string) => `${name} wants to authenticate you`,
  tray: {
    online: 'Online',
    away: 'Away',
    dnd: 'Do not disturb',
    offline: 'Offline',
    show: 'Show Klatsch',
    quit: 'Quit Klatsch',
    tooltip: (presence: string) => `Klatsch – ${presence}`,
  },
};

export type ShellTexts = typeof en;
export type TrayTexts = ShellTexts['tray'];

const de = {
  newMessageFrom: (name: string) => `Neue Nachricht von ${name}`,
  newPrivateMessageFrom: (name: string) => `Neue private Nachricht von ${name}`,
  wantsToAuthenticate: (name: string) => `${name} möchte Sie authentifizieren`,
  tray: {
    online: 'Online',
    away: 'Abwesend',
    dnd: 'Nicht stören',
    offline: 'Offline',
    show: 'Klatsch anzeigen',
    quit: 'Klatsch beenden',
    tooltip: (presence: string) => `Klatsch – ${presence}`,
  },
} satisfies ShellTexts;

const catalogs: Record<ShellLanguage, ShellTexts> = { en, de };

/** The language in force: the setting, or the first of the OS's languages Klatsch speaks (else English). */
export function shellLanguage(setting: AppSettings['language'], systemLanguages: readonly string[]): ShellLanguage {
  if (setting !== 'system') return setting;
  for (const tag of systemLanguages) {
    const base = tag.toLowerCase().split(/[-_.]/)[0];
    if (base === 'en' || base === 'de') return base;
  }
  return 'en';
}

export function shellTexts(language: ShellLanguage): ShellTexts {
  return catalogs[language];
}
