/** German texts: every key of en.ts, with the same parameters (the type checker holds them together). */
import type { Catalog } from './catalog';

export const de: Catalog = {
  app: {
    couldNotStartTitle: 'Klatsch konnte nicht starten',
    couldNotStartMessage:
      'Die Verbindung zum Programmkern (window.klatsch) fehlt, daher kann diese Seite nichts tun. Starten Sie Klatsch über die Desktop-Anwendung oder den Entwicklungs-Host, nicht durch direktes Öffnen der Seite.',
    loading: 'Wird geladen …',
  },
  language: {
    label: 'Sprache',
    system: 'Wie im System',
    en: 'English',
    de: 'Deutsch',
  },
  archive: {
    loadOlder: 'Ältere Nachrichten laden',
    loadingOlder: 'Ältere Nachrichten werden geladen …',
    noOlder: 'Auf dem Server gibt es keine älteren Nachrichten.',
    loadFailed: (reason: string) => `Ältere Nachrichten konnten nicht geladen werden: ${reason}`,
    loadedOlder: (count: number) => (count === 1 ? '1 ältere Nachricht geladen.' : `${count} ältere Nachrichten geladen.`),
  },
};
