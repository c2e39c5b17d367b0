/**
 * Chat states (XEP-0085) and corrections (XEP-0308) that reach us as carbons (XEP-0280) over a
 * real Prosody: our other device (a second resource) and the contact talk, and Klatsch applies
 * what it sees in the right chat — a correction replaces the text it names, the contact's typing
 * shows in the contact's chat, our other device's typing is never shown as anyone's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import type { AccountView, ChatMessage, Contact } from '../../shared/contract.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { correctionMessage } from '../../electron/core/correction/correction.js';
import { chatStateMessage } from '../../electron/core/chat-states/chat-states.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { loginOn, openDevice, usersWith } from '../fixtures/xmpp-server.js';

const password = 'carbon-states-pw';

describe('chat states and corrections in carbons', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let account: AccountView;
  let laptop: XmppSession;
  let bobPhone: XmppSession;
  const bobSeen: Element[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  const device = (user: string, priority: number) => openDevice(server, user, password, { priority });

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    account = await alice.call('addAccount', loginOn(server, 'alice', password));
    await alice.call('setOtrPolicy', { accountId: account.id, peer: jid('bob'), policy: 'never' });
    laptop = await device('alice', -1);
    bobPhone = await device('bob', 0);
    bobPhone.on('stanza', (s: Element) => bobSeen.push(s));
    bobPhone.start();
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
  });
  after(async () => {
    await laptop?.close();
    await bobPhone?.close();
    await alice?.dispose();
    await server?.dispose();
  });

  const shown = (body: string, after = 0) => alice.waitFor('messageUpserted', (e) => e.message.body === body, { after });
  const chat = (peer: string): ChatMessage[] => alice.core.snapshot().chats[account.id]?.[peer] ?? [];
  const typingEvents = (from: number) =>
    alice.events.slice(from).filter((e) => e.name === 'contactUpdated' && (e.payload as { contact: Contact }).contact.chatState === 'composing');

  test('a correction our other device sent replaces our message in the chat with the contact', async () => {
    await laptop.send(chatMessage(jid('bob'), 'laptop-1', 'meet at 3 pm'));
    await shown('meet at 3 pm');
    const from = alice.events.length;
    await laptop.send(correctionMessage(jid('bob'), 'laptop-2', 'meet at 4 pm', 'laptop-1'));
    const corrected = await shown('meet at 4 pm', from);
    assert.equal(corrected.message.id, 'laptop-1', 'the same message, corrected');
    assert.equal(corrected.message.peer, jid('bob'));
    assert.equal(corrected.message.direction, 'out');
    assert.equal(corrected.message.edited, true);
    assert.deepEqual(
      chat(jid('bob')).filter((m) => m.direction === 'out').map((m) => m.body),
      ['meet at 4 pm'],
      'no second message',
    );
  });

  test("a correction the contact sent to our other device replaces the contact's message", async () => {
    await bobPhone.send(chatMessage(laptop.jid, 'bob-1', 'see you tmorrow'));
    await shown('see you tmorrow');
    const from = alice.events.length;
    await bobPhone.send(correctionMessage(laptop.jid, 'bob-2', 'see you tomorrow', 'bob-1'));
    const corrected = await shown('see you tomorrow', from);
    assert.equal(corrected.message.id, 'bob-1');
    assert.equal(corrected.message.direction, 'in');
    assert.equal(corrected.message.edited, true);
    assert.equal(chat(jid('bob')).filter((m) => m.direction === 'in').length, 1);
  });

  test("the contact typing to our other device shows in the contact's chat, and stops", async () => {
    const from = alice.events.length;
    await bobPhone.send(chatStateMessage(laptop.jid, 'bob-typing-1', 'composing'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.chatState === 'composing', { after: from });
    const after = alice.events.length;
    await bobPhone.send(chatStateMessage(laptop.jid, 'bob-typing-2', 'paused'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.chatState === undefined, { after });
  });

  test("our other device's typing is never shown as the contact's, and makes this device's last state stale", async () => {
    // This device tells bob it types; bob's phone sees it.
    const composing = () => bobSeen.filter((s) => s.getChild('composing', 'http://jabber.org/protocol/chatstates') && !s.getChild('sent', 'urn:xmpp:carbons:2')).length;
    await alice.call('setChatState', { accountId: account.id, peer: jid('bob'), state: 'composing' });
    await waitUntil(() => composing() === 1);
    const from = alice.events.length;
    // The laptop types to bob and then says it stopped; both come to this device as carbons.
    await laptop.send(chatStateMessage(jid('bob'), 'laptop-typing-1', 'composing'));
    await laptop.send(chatStateMessage(jid('bob'), 'laptop-typing-2', 'active'));
    await laptop.send(chatMessage(jid('bob'), 'laptop-3', 'barrier after the laptop states'));
    await shown('barrier after the laptop states', from);
    assert.deepEqual(typingEvents(from), [], 'no chat shows typing for what our own laptop did');
    // Bob was last told 'active' by the laptop: this device's 'composing' goes out again.
    await alice.call('setChatState', { accountId: account.id, peer: jid('bob'), state: 'composing' });
    await waitUntil(() => composing() === 3); // ours, the laptop's, ours again
  });
});

async function waitUntil(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
