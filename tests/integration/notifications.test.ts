/**
 * Desktop notifications from a real core over a real Prosody: which arriving
 * messages reach the desktop shell (a recording one here) and which do not —
 * a carbon of a message another device received does, a carbon of our own
 * message from another device does not, nor anything under "do not disturb",
 * in the chat the user has on screen, or restored from the history at start;
 * the unread badge follows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, PresenceShow } from '../../shared/contract.js';
import type { DesktopNotification, DesktopShell } from '../../electron/core/desktop/desktop-shell.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { loginOn, openDevice, usersWith } from '../fixtures/xmpp-server.js';

const password = 'notify-pw';

function recordingShell() {
  const notified: DesktopNotification[] = [];
  const unread: number[] = [];
  const tray: PresenceShow[] = [];
  const shell: DesktopShell = {
    notify: (n) => notified.push(n),
    setUnreadCount: (n) => unread.push(n),
    setTrayPresence: (p) => tray.push(p),
    focusWindow: () => {},
  };
  return { shell, notified, unread, tray };
}

describe('notifications from a real core', () => {
  let server: ProsodyServer;
  let profileDir: string;
  let alice: TestCore;
  let account: AccountView;
  let recorded = recordingShell();
  /** Alice's other device, and Bob on a plain client: both sessions of our own XMPP stack, TLS verified. */
  let laptop: XmppSession;
  let bob: XmppSession;
  const jid = (user: string) => `${user}@${server.domain}`;

  // Priority -1: messages to the bare JID go to the Klatsch resource only.
  const device = (user: string) => openDevice(server, user, password, { priority: -1 });
  const shown = (direction: 'in' | 'out', body: string) =>
    alice.waitFor('messageUpserted', (e) => e.message.direction === direction && e.message.body === body);

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-notify-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir, shell: recorded.shell });
    account = await alice.call('addAccount', loginOn(server, 'alice', password));
    // Plaintext: Bob's plain client speaks no OTR.
    await alice.call('setOtrPolicy', { accountId: account.id, peer: jid('bob'), policy: 'never' });
    laptop = await device('alice');
    bob = await device('bob');
    await alice.call('windowStateChanged', { focused: false, openChat: null });
  });
  after(async () => {
    await laptop?.close();
    await bob?.close();
    await alice?.dispose();
    await server?.dispose();
    if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
  });

  test('a message to us notifies with the roster name and the text; the badge counts it', async () => {
    await bob.send(chatMessage(jid('alice'), 'b-1', 'Hello from Bob'));
    await shown('in', 'Hello from Bob');
    assert.equal(recorded.notified.length, 1);
    assert.deepEqual(recorded.notified[0], { title: 'bob', body: 'Hello from Bob', silent: false, chat: { accountId: account.id, peer: jid('bob') }, showsText: true });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.unread === 1);
    await new Promise((resolve) => setImmediate(resolve)); // the badge is updated once per burst of events
    assert.equal(recorded.unread.at(-1), 1);
    assert.equal(recorded.tray.at(-1), 'online');
  });

  test('a carbon of our own message from another device does not notify; one another device received does', async () => {
    await laptop.send(chatMessage(jid('bob'), 'l-1', 'Sent from my laptop'));
    await shown('out', 'Sent from my laptop');
    assert.equal(recorded.notified.length, 1, 'our own message');
    await bob.send(chatMessage(laptop.jid, 'b-2', 'To your laptop'));
    await shown('in', 'To your laptop');
    assert.equal(recorded.notified.length, 2);
    assert.equal(recorded.notified[1]!.body, 'To your laptop');
  });

  test('none in the chat the user looks at; one when the window lost the focus', async () => {
    await alice.call('windowStateChanged', { focused: true, openChat: { accountId: account.id, peer: jid('bob') } });
    await bob.send(chatMessage(jid('alice'), 'b-3', 'You see this one'));
    await shown('in', 'You see this one');
    assert.equal(recorded.notified.length, 2);
    alice.core.windowFocusChanged(false); // Electron's blur
    await bob.send(chatMessage(jid('alice'), 'b-4', 'Window in the background'));
    await shown('in', 'Window in the background');
    assert.equal(recorded.notified.length, 3);
  });

  test('"do not disturb" silences notifications', async () => {
    await alice.call('setPresence', { accountId: account.id, show: 'dnd', status: '' });
    await bob.send(chatMessage(jid('alice'), 'b-5', 'Quietly'));
    await shown('in', 'Quietly');
    assert.equal(recorded.notified.length, 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recorded.tray.at(-1), 'dnd', 'the tray shows it');
    await alice.call('setPresence', { accountId: account.id, show: 'online', status: '' });
  });

  test('the tray menu sets every account to a presence', async () => {
    await alice.core.setPresenceEverywhere('away');
    await alice.waitFor('accountUpdated', (a) => a.ownPresence.show === 'away');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recorded.tray.at(-1), 'away');
    await alice.core.setPresenceEverywhere('online');
  });

  test('after a restart, the chats restored from the history notify nobody', async () => {
    await alice.dispose();
    recorded = recordingShell();
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir, shell: recorded.shell });
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online');
    const chats = alice.core.snapshot().chats[account.id]?.[jid('bob')] ?? [];
    assert.ok(chats.some((m) => m.body === 'Hello from Bob'), 'the history came back');
    await alice.call('windowStateChanged', { focused: false, openChat: null });
    await bob.send(chatMessage(jid('alice'), 'b-6', 'After the restart'));
    await shown('in', 'After the restart');
    assert.deepEqual(recorded.notified.map((n) => n.body), ['After the restart']);
  });
});
