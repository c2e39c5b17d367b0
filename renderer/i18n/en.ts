/**
 * English texts, the reference catalog: German (de.ts) must have every key, with the same
 * parameters. One section per part of the UI, so that parts grow without touching each other.
 * A text with parameters is a function, so plurals and word order stay the translator's choice.
 */
export const en = {
  app: {
    couldNotStartTitle: 'Klatsch could not start',
    couldNotStartMessage:
      'The connection to the application core (window.klatsch) is missing, so this page cannot do anything. Start Klatsch through the desktop application or the development host, not by opening the page directly.',
    loading: 'Loading…',
  },
  language: {
    label: 'Language',
    system: 'Same as the system',
    en: 'English',
    de: 'Deutsch',
  },
  settings: {
    open: 'Settings',
    title: 'Settings',
    close: 'Close',
    theme: 'Theme',
    themeSystem: 'Same as the system',
    themeLight: 'Light',
    themeDark: 'Dark',
    notifications: 'Notifications of new messages',
    notificationsHint: 'Shown while Klatsch is in the background or another chat is open. Private (encrypted) messages never show their text.',
    notifySenderAndText: 'Sender and text',
    notifySenderOnly: 'Only the sender (“New message from Alice”)',
    notifyOff: 'No notifications',
    sound: 'Play a sound with notifications',
    locked: (reason: string) => `Locked. ${reason}`,
    notSaved: (message: string) => `Not saved: ${message}`,
    shortcut: 'Open the settings',
  },
  archive: {
    loadOlder: 'Load older messages',
    loadingOlder: 'Loading older messages…',
    noOlder: 'No older messages on the server.',
    loadFailed: (reason: string) => `Older messages could not be loaded: ${reason}`,
    loadedOlder: (count: number) => (count === 1 ? '1 older message loaded.' : `${count} older messages loaded.`),
  },
};
