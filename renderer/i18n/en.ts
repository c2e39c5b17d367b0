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
  archive: {
    loadOlder: 'Load older messages',
    loadingOlder: 'Loading older messages…',
    noOlder: 'No older messages on the server.',
    loadFailed: (reason: string) => `Older messages could not be loaded: ${reason}`,
    loadedOlder: (count: number) => (count === 1 ? '1 older message loaded.' : `${count} older messages loaded.`),
  },
};
