/**
 * Desktop notifications: every rule of electron/core/desktop/notifications.ts,
 * each privacy mode, and that nothing of a message's text is in a notification
 * unless the user chose 'sender-and-text' for a plaintext message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, PresenceShow } from '../../shared/contract.js';
import type { DesktopNotification, DesktopShell } from '../../electron/core/desktop/desktop-shell.js';
import { Notifier, notificationFor, preview, type IncomingMessage, type NotificationPrefs, type WindowState } from '../../electron/core/desktop/notifications.js';
import { catalogFor, languageFor } from '../../shared/i18n/catalog.js';

const en = catalogFor('en').shell;
const chat = { accountId: 'acc-1', peer: 'alice@example.com' };
const secret = 'The merger closes on Friday';

function incoming(extra: Partial<IncomingMessage> = {}, message: Partial<ChatMessage> = {}): IncomingMessage {
  return {
    chat,
    senderName: 'Alice',
    source: 'live',
    ownShow: 'online',
    message: { id: 'm-1', peer: chat.peer, direction: 'in', body: secret, timestamp: 1, state: 'received', ...message },
    ...extra,
  };
}

const away: WindowState = { focused: false, openChat: null };
const all: NotificationPrefs = { notifications: 'sender-and-text', sound: true };
const decide = (i: IncomingMessage, w: WindowState = away, p: NotificationPrefs = all) => notificationFor(i, w, p, en);

/** Every text a notification shows, for "is the secret in there?". */
const shown = (n: DesktopNotification | null) => (n ? `${n.title}\n${n.body}` : '');

describe('which messages notify', () => {
  test('a plaintext message while the window is not focused: the sender as title, the text as body', () => {
    assert.deepEqual(decide(incoming()), { title: 'Alice', body: secret, silent: false, chat, showsText: true });
  });

  test("'off': nothing, whatever the message", () => {
    assert.equal(decide(incoming(), away, { notifications: 'off', sound: true }), null);
    assert.equal(decide(incoming({}, { encrypted: true }), away, { notifications: 'off', sound: true }), null);
  });

  test('notices of Klatsch and our own messages never notify', () => {
    assert.equal(decide(incoming({}, { direction: 'notice', body: 'The conversation is now private.' })), null);
    assert.equal(decide(incoming({}, { direction: 'out', state: 'sent' })), null);
    // Our own message sent from another device comes as a carbon with direction 'out'.
    assert.equal(decide(incoming({ source: 'carbon' }, { direction: 'out', state: 'sent' })), null);
  });

  test('a carbon of a message another device received notifies; history and archive do not', () => {
    assert.equal(decide(incoming({ source: 'carbon' }))?.body, secret);
    assert.equal(decide(incoming({ source: 'history' })), null);
    assert.equal(decide(incoming({ source: 'archive' })), null);
  });

  test('"do not disturb" on the account silences it; away does not', () => {
    assert.equal(decide(incoming({ ownShow: 'dnd' })), null);
    assert.notEqual(decide(incoming({ ownShow: 'away' })), null);
  });

  test('not when the user sees it: focused window with that chat open', () => {
    assert.equal(decide(incoming(), { focused: true, openChat: { ...chat } }), null);
    // Another chat open, or the same chat in a window without the focus: it notifies.
    assert.notEqual(decide(incoming(), { focused: true, openChat: { accountId: 'acc-1', peer: 'bob@example.com' } }), null);
    assert.notEqual(decide(incoming(), { focused: true, openChat: { accountId: 'acc-2', peer: chat.peer } }), null);
    assert.notEqual(decide(incoming(), { focused: false, openChat: { ...chat } }), null);
    assert.notEqual(decide(incoming(), { focused: true, openChat: null }), null);
  });

  test('the sound setting: silent when the user turned the sound off', () => {
    assert.equal(decide(incoming(), away, { notifications: 'sender-and-text', sound: false })?.silent, true);
  });
});

describe('what a notification shows', () => {
  test("'sender-only': who wrote, never what", () => {
    const n = decide(incoming(), away, { notifications: 'sender-only', sound: true });
    assert.deepEqual(n, { title: 'Klatsch', body: 'New message from Alice', silent: false, chat, showsText: false });
    assert.doesNotMatch(shown(n), /merger/);
  });

  test('a private (OTR) message never shows its text, not even with sender-and-text', () => {
    for (const notifications of ['sender-and-text', 'sender-only'] as const) {
      const n = decide(incoming({}, { encrypted: true }), away, { notifications, sound: true });
      assert.equal(n?.body, 'New private message from Alice');
      assert.equal(n?.showsText, false);
      assert.doesNotMatch(shown(n), /merger/);
    }
  });

  test('no part of the text leaks in any mode other than sender-and-text plaintext', () => {
    const words = secret.split(' ').filter((w) => w.length > 3);
    for (const notifications of ['sender-and-text', 'sender-only', 'off'] as const) {
      for (const encrypted of [false, true]) {
        const n = decide(incoming({}, encrypted ? { encrypted } : {}), away, { notifications, sound: true });
        const leaks = words.some((w) => shown(n).includes(w));
        assert.equal(leaks, notifications === 'sender-and-text' && !encrypted, `${notifications}, encrypted ${encrypted}`);
        assert.equal(n?.showsText ?? false, leaks);
      }
    }
  });

  test('without a roster name, the address; a name is one line', () => {
    assert.equal(decide(incoming({ senderName: chat.peer }))?.title, chat.peer);
    assert.equal(decide(incoming({ senderName: '\n\t' }))?.title, chat.peer);
    assert.equal(decide(incoming({ senderName: 'Alice\nSmith' }), away, { notifications: 'sender-only', sound: true })?.body, 'New message from Alice Smith');
  });

  test('German texts', () => {
    const de = catalogFor('de').shell;
    assert.equal(notificationFor(incoming(), away, { notifications: 'sender-only', sound: true }, de)?.body, 'Neue Nachricht von Alice');
    assert.equal(notificationFor(incoming({}, { encrypted: true }), away, all, de)?.body, 'Neue private Nachricht von Alice');
  });

  test('long texts are cut to one line of 200 characters, never inside an emoji', () => {
    assert.equal(preview('a\r\nb\u0000c\u2028d', 200), 'a b c d');
    const long = preview('😀'.repeat(300), 200);
    assert.equal([...long].length, 200);
    assert.ok(long.endsWith('😀…'));
    assert.equal(decide(incoming({}, { body: `${'x'.repeat(500)}` }))?.body.length, 200);
  });
});

describe('the language of the texts', () => {
  test("'system' takes the first of the OS's languages Klatsch speaks; a choice wins", () => {
    assert.equal(languageFor('system', ['fr-FR', 'de-CH', 'en']), 'de');
    assert.equal(languageFor('system', ['de_DE.UTF-8']), 'de');
    assert.equal(languageFor('system', ['fr', 'ja']), 'en');
    assert.equal(languageFor('system', []), 'en');
    assert.equal(languageFor('en', ['de-DE']), 'en');
    assert.equal(languageFor('de', ['en-US']), 'de');
  });
});

function recordingShell() {
  const calls = { notified: [] as DesktopNotification[], clicks: [] as (() => void)[], unread: [] as number[], tray: [] as [PresenceShow, string][], focused: 0 };
  const shell: DesktopShell = {
    notify: (n, onClick) => {
      calls.notified.push(n);
      calls.clicks.push(onClick);
    },
    setUnreadCount: (n) => calls.unread.push(n),
    setTrayPresence: (p, texts) => calls.tray.push([p, texts.quit]),
    focusWindow: () => calls.focused++,
  };
  return { shell, calls };
}

describe('Notifier', () => {
  test('a click brings the window forward and opens the chat', () => {
    const { shell, calls } = recordingShell();
    const opened: unknown[] = [];
    const notifier = new Notifier({ shell, prefs: () => ({ ...all, language: 'en' }), openChat: (c) => opened.push(c) });
    notifier.incoming(incoming());
    assert.equal(calls.notified.length, 1);
    calls.clicks[0]!();
    assert.equal(calls.focused, 1);
    assert.deepEqual(opened, [chat]);
  });

  test('follows the window state the renderer and Electron report', () => {
    const { shell, calls } = recordingShell();
    const notifier = new Notifier({ shell, prefs: () => ({ ...all, language: 'en' }), openChat: () => {} });
    notifier.windowState({ focused: true, openChat: chat });
    assert.equal(notifier.incoming(incoming()), null);
    notifier.windowFocused(false); // Electron's blur, before the renderer says anything
    assert.notEqual(notifier.incoming(incoming()), null);
    notifier.windowFocused(true);
    assert.equal(notifier.incoming(incoming()), null, 'the open chat is remembered across the blur');
    assert.equal(calls.notified.length, 1);
  });

  test('the settings are read at each message: a change applies to the next one', () => {
    const { shell, calls } = recordingShell();
    let prefs: NotificationPrefs & { language: 'en' | 'de' } = { ...all, language: 'en' };
    const notifier = new Notifier({ shell, prefs: () => prefs, openChat: () => {} });
    notifier.incoming(incoming());
    prefs = { notifications: 'sender-only', sound: true, language: 'de' };
    notifier.incoming(incoming());
    prefs = { notifications: 'off', sound: true, language: 'de' };
    notifier.incoming(incoming());
    assert.deepEqual(calls.notified.map((n) => n.body), [secret, 'Neue Nachricht von Alice']);
  });

  test('unread count and tray are passed on only when they change (the tray also on a new language)', () => {
    const { shell, calls } = recordingShell();
    let language: 'en' | 'de' = 'en';
    const notifier = new Notifier({ shell, prefs: () => ({ ...all, language }), openChat: () => {} });
    for (const n of [0, 0, 2, 2, 3, 0]) notifier.unreadCount(n);
    assert.deepEqual(calls.unread, [0, 2, 3, 0]);
    notifier.trayPresence('offline');
    notifier.trayPresence('offline');
    notifier.trayPresence('online');
    language = 'de';
    notifier.trayPresence('online');
    assert.deepEqual(calls.tray, [
      ['offline', 'Quit Klatsch'],
      ['online', 'Quit Klatsch'],
      ['online', 'Klatsch beenden'],
    ]);
  });
});
