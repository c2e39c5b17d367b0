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
  // --- accounts-search ---
  accounts: {
    heading: 'Accounts',
    addAccount: '+ Add account',
    addLocked: (reason: string) => `Adding accounts is locked. ${reason}`,
    show: (jid: string, state: string, presence: string) => `${jid}: ${state}, ${presence}`,
    shown: 'shown',
    state: {
      online: 'online',
      connecting: 'connecting…',
      reconnecting: 'reconnecting…',
      offline: 'offline',
      error: 'not connected',
    },
    presence: { online: 'available', away: 'away', dnd: 'do not disturb' },
    contactsOf: (jid: string) => `Contacts of ${jid}`,
    addContactTo: (jid: string) => `Add a contact to ${jid}`,
    chatInAccount: (jid: string) => `in ${jid}`,
  },
  search: {
    open: 'Search messages',
    title: 'Search messages',
    label: 'Find in all chats',
    hint: 'Finds messages containing every word, in any case, with or without accents. Private messages are searched only where you keep them in the history.',
    close: 'Close',
    searching: 'Searching…',
    noResults: (query: string) => `No message contains “${query}”.`,
    more: (shown: number) => `Showing the newest ${shown} messages found. Add a word to narrow the search.`,
    count: (n: number) => (n === 1 ? '1 message' : `${n} messages`),
    you: 'You',
    failed: (reason: string) => `The search did not work: ${reason}`,
  },
  links: {
    title: 'Open this link?',
    webQuestion: 'Klatsch opens it in your web browser. Check that this is the address you expect:',
    mailQuestion: 'Klatsch opens your mail program to write to:',
    xmppQuestion: 'Klatsch opens this chat address inside Klatsch:',
    goesTo: 'Goes to',
    openWeb: 'Open in browser',
    openMail: 'Write an e-mail',
    openXmpp: 'Open in Klatsch',
    cancel: 'Cancel',
    international: (written: string, real: string) =>
      `The address is written with international letters (“${written}”). Letters of other alphabets can look like familiar ones: its real name is ${real}.`,
    credentials: (before: string, host: string) =>
      `This link hides where it leads: “${before}” in front of the @ is not the address. It goes to ${host}. Klatsch does not open such links.`,
    insecure: 'This address is not encrypted (http). Klatsch opens only secure (https) addresses.',
    unsupported: 'Klatsch does not open this kind of link.',
    failed: (reason: string) => `Not opened: ${reason}`,
    linkTitle: (href: string) => `Link to ${href} (asks before opening)`,
  },
  archive: {
    loadOlder: 'Load older messages',
    loadingOlder: 'Loading older messages…',
    noOlder: 'No older messages on the server.',
    loadFailed: (reason: string) => `Older messages could not be loaded: ${reason}`,
    loadedOlder: (count: number) => (count === 1 ? '1 older message loaded.' : `${count} older messages loaded.`),
  },
};
