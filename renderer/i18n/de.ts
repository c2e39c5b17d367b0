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
  // --- accounts-search ---
  accounts: {
    heading: 'Konten',
    addAccount: '+ Konto hinzufügen',
    addLocked: (reason: string) => `Das Hinzufügen von Konten ist gesperrt. ${reason}`,
    show: (jid: string, state: string, presence: string) => `${jid}: ${state}, ${presence}`,
    shown: 'angezeigt',
    state: {
      online: 'verbunden',
      connecting: 'verbindet …',
      reconnecting: 'verbindet erneut …',
      offline: 'getrennt',
      error: 'nicht verbunden',
    },
    presence: { online: 'erreichbar', away: 'abwesend', dnd: 'bitte nicht stören' },
    contactsOf: (jid: string) => `Kontakte von ${jid}`,
    addContactTo: (jid: string) => `Einen Kontakt zu ${jid} hinzufügen`,
    chatInAccount: (jid: string) => `in ${jid}`,
  },
  search: {
    open: 'Nachrichten suchen',
    title: 'Nachrichten suchen',
    label: 'In allen Chats finden',
    hint: 'Findet Nachrichten, die jedes Wort enthalten – ohne auf Groß- und Kleinschreibung oder Akzente zu achten. Private Nachrichten werden nur durchsucht, wo Sie sie im Verlauf behalten.',
    close: 'Schließen',
    searching: 'Suche läuft …',
    noResults: (query: string) => `Keine Nachricht enthält „${query}“.`,
    more: (shown: number) => `Gezeigt werden die neuesten ${shown} Treffer. Ein weiteres Wort grenzt die Suche ein.`,
    count: (n: number) => (n === 1 ? '1 Nachricht' : `${n} Nachrichten`),
    you: 'Sie',
    failed: (reason: string) => `Die Suche hat nicht funktioniert: ${reason}`,
  },
  links: {
    title: 'Diesen Link öffnen?',
    webQuestion: 'Klatsch öffnet ihn in Ihrem Webbrowser. Prüfen Sie, ob es die Adresse ist, die Sie erwarten:',
    mailQuestion: 'Klatsch öffnet Ihr E-Mail-Programm, um zu schreiben an:',
    xmppQuestion: 'Klatsch öffnet diese Chat-Adresse in Klatsch:',
    goesTo: 'Führt zu',
    openWeb: 'Im Browser öffnen',
    openMail: 'E-Mail schreiben',
    openXmpp: 'In Klatsch öffnen',
    cancel: 'Abbrechen',
    international: (written: string, real: string) =>
      `Die Adresse ist mit internationalen Buchstaben geschrieben („${written}“). Buchstaben anderer Alphabete können vertrauten gleichen: Ihr wirklicher Name ist ${real}.`,
    credentials: (before: string, host: string) =>
      `Dieser Link verbirgt, wohin er führt: „${before}“ vor dem @ ist nicht die Adresse. Er führt zu ${host}. Klatsch öffnet solche Links nicht.`,
    insecure: 'Diese Adresse ist nicht verschlüsselt (http). Klatsch öffnet nur sichere Adressen (https).',
    unsupported: 'Diese Art von Link öffnet Klatsch nicht.',
    failed: (reason: string) => `Nicht geöffnet: ${reason}`,
    linkTitle: (href: string) => `Link zu ${href} (fragt vor dem Öffnen)`,
  },
  archive: {
    loadOlder: 'Ältere Nachrichten laden',
    loadingOlder: 'Ältere Nachrichten werden geladen …',
    noOlder: 'Auf dem Server gibt es keine älteren Nachrichten.',
    loadFailed: (reason: string) => `Ältere Nachrichten konnten nicht geladen werden: ${reason}`,
    loadedOlder: (count: number) => (count === 1 ? '1 ältere Nachricht geladen.' : `${count} ältere Nachrichten geladen.`),
  },
};
