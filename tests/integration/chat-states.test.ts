/**
 * Chat states (XEP-0085) between two cores over a real Prosody: typing shows on the other side,
 * pausing or a message clears it, states from strangers are ignored, and while a conversation is
 * private (or must be) not one chat-state stanza crosses the server. Last message correction
 * (XEP-0308): a correction replaces the sender's own last message only; never while private.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { AccountView, RequestOf } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatStateMessage } from '../../electron/core/chat-states/chat-states.js';
import { correctionMessage } from '../../electron/core/correction/correction.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import type { TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { openDevice, usersWith } from '../fixtures/xmpp-server.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'chatstates-pw';
const CHAT_STATE = /<(active|composing|paused|inactive|gone)(?=[\s/>])[^>]*xmlns=['"]http:\/\/jabber\.org\/protocol\/chatstates['"]/;

describe('chat states over XMPP', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  let carol: XmppSession;
  /** Another device of bob's: a plain client that can write what a hostile peer would. */
  let bobRaw: XmppSession;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob', 'carol'), contacts: [['alice', 'bob']] });
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, policy: 'never' }));
    carol = await openDevice(server, 'carol', password);
    // Priority -1: messages to bob's bare JID still go to bob's Klatsch.
    bobRaw = await openDevice(server, 'bob', password, { priority: -1 });
  });
  after(async () => {
    await carol?.close();
    await bobRaw?.close();
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  const setState = (state: RequestOf<'setChatState'>['state']) => alice.call('setChatState', { accountId: aliceAccount.id, peer: jid('bob'), state });
  const bobSeesAlice = (typing: boolean, after: number) =>
    bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && (e.contact.chatState === 'composing') === typing, { after });

  test('typing shows on the other side; paused clears it; each state crosses the server once', async () => {
    let from = bob.events.length;
    await setState('composing');
    await setState('composing');
    await setState('composing');
    await bobSeesAlice(true, from);
    from = bob.events.length;
    await setState('paused');
    await bobSeesAlice(false, from);
    const wire = (await server.receivedStanzas()).split('\n');
    const composing = wire.filter((line) => /<composing(?=[\s/>])[^>]*chatstates/.test(line));
    assert.equal(composing.length, 1, 'three keystrokes, one composing');
    assert.equal(wire.filter((line) => /<paused(?=[\s/>])[^>]*chatstates/.test(line)).length, 1);
    assert.ok(!composing.some((line) => line.includes('<body')), 'a notification carries no body');
  });

  test('a message ends the typing and carries active', async () => {
    let from = bob.events.length;
    await setState('composing');
    await bobSeesAlice(true, from);
    from = bob.events.length;
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'typed and sent' });
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'typed and sent', { after: from });
    await bobSeesAlice(false, from);
    const line = (await server.receivedStanzas()).split('\n').find((l) => l.includes('typed and sent'));
    assert.ok(line && line.includes(sent.id));
    assert.match(line, /<active(?=[\s/>])[^>]*xmlns=['"]http:\/\/jabber\.org\/protocol\/chatstates['"]/);
  });

  test('a stranger typing is not shown', async () => {
    const from = bob.events.length;
    await carol.send(chatStateMessage(jid('bob'), 'carol-1', 'composing'));
    // A marker on another path: alice's typing arrives after carol's was handled (or dropped).
    await setState('composing');
    await bobSeesAlice(true, from);
    const about = bob.events.slice(from).filter((e) => JSON.stringify(e.payload).includes(jid('carol')));
    assert.deepEqual(about, [], 'nothing about carol reached the UI');
    await setState('active');
  });

  test('a malformed or doubled state is ignored and the stream goes on', async () => {
    const from = bob.events.length;
    await alice.call('setChatState', { accountId: aliceAccount.id, peer: jid('bob'), state: 'paused' });
    await carol.send(xml('message', { to: jid('bob'), type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }, xml('x'))));
    const bad = await alice.requestUnchecked('setChatState', { accountId: aliceAccount.id, peer: jid('bob'), state: 'gone' });
    assert.equal(bad.ok, false, 'gone is not for the renderer to say');
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'still here' });
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'still here', { after: from });
  });

  const inAt = (core: TestCore, body: string, after = 0) =>
    core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body, { after });

  test('a correction of our last message replaces its text on the other side, same id, marked edited', async () => {
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'helo bob' });
    const got = await inAt(bob, 'helo bob');
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'));
    const from = bob.events.length;
    const corrected = await alice.call('correctMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: sent.id, body: 'hello bob' });
    assert.equal(corrected.id, sent.id);
    assert.equal(corrected.body, 'hello bob');
    assert.equal(corrected.edited, true);
    const fixed = await inAt(bob, 'hello bob', from);
    assert.equal(fixed.message.id, got.message.id, 'the same message, not a new one');
    assert.equal(fixed.message.edited, true);
    const chat = bob.core.snapshot().chats[bobAccount.id]![jid('alice')]!;
    assert.equal(chat.filter((m) => m.id === got.message.id).length, 1);
    assert.ok(!chat.some((m) => m.body === 'helo bob'));
    const line = (await server.receivedStanzas()).split('\n').find((l) => l.includes('hello bob'));
    assert.match(line ?? '', new RegExp(`<replace(?=[^>]*xmlns=['"]urn:xmpp:message-correct:0['"])(?=[^>]*\\sid=['"]${sent.id}['"])`));
    // Only the last one: the older message cannot be corrected any more.
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'newer' });
    const old = await alice.request('correctMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: sent.id, body: 'rewritten' });
    assert.equal(old.ok, false);
  });

  test("a peer cannot rewrite our messages or its older ones: such a 'correction' is a new message", async () => {
    const ours = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ALICE-ORIGINAL' });
    await inAt(bob, 'ALICE-ORIGINAL');
    await bobRaw.send(chatMessage(jid('alice'), 'raw-a', 'bob first'));
    await inAt(alice, 'bob first');
    await bobRaw.send(chatMessage(jid('alice'), 'raw-b', 'bob second'));
    await inAt(alice, 'bob second');
    await bobRaw.send(correctionMessage(jid('alice'), 'raw-c', 'FORGED-OURS', ours.id));
    await bobRaw.send(correctionMessage(jid('alice'), 'raw-d', 'FORGED-OLDER', 'raw-a'));
    await bobRaw.send(correctionMessage(jid('alice'), 'raw-e', 'bob second, corrected', 'raw-b'));
    const forgedOurs = await inAt(alice, 'FORGED-OURS');
    const forgedOlder = await inAt(alice, 'FORGED-OLDER');
    assert.notEqual(forgedOurs.message.id, ours.id);
    assert.equal(forgedOurs.message.edited, undefined);
    assert.notEqual(forgedOlder.message.id, 'raw-a');
    // The last message of bob's (now the forged-older one) is not raw-b: that correction is new too.
    await inAt(alice, 'bob second, corrected');
    const chat = alice.core.snapshot().chats[aliceAccount.id]![jid('bob')]!;
    assert.equal(chat.find((m) => m.id === ours.id && m.direction === 'out')?.body, 'ALICE-ORIGINAL');
    assert.equal(chat.find((m) => m.id === 'raw-a')?.body, 'bob first');
    assert.equal(chat.find((m) => m.id === 'raw-b')?.body, 'bob second');
    // A correction of bob's real last message does apply.
    await bobRaw.send(chatMessage(jid('alice'), 'raw-f', 'bob thrid'));
    await inAt(alice, 'bob thrid');
    const from = alice.events.length;
    await bobRaw.send(correctionMessage(jid('alice'), 'raw-g', 'bob third', 'raw-f'));
    const applied = await inAt(alice, 'bob third', from);
    assert.equal(applied.message.id, 'raw-f');
    assert.equal(applied.message.edited, true);
  });

  test("while private, or when the policy is 'always', no chat state crosses the server", async () => {
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'manual' });
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'always' });
    const mark = (await server.receivedStanzas()).length;
    // 'always' and not private yet: typing must stay home too.
    await setState('composing');
    await setState('paused');
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private');
    // Private with a policy that would allow plaintext: still nothing.
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'manual' });
    const from = bob.events.length;
    await setState('composing');
    await setState('paused');
    await setState('composing');
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'PRIVATE-TYPED' });
    assert.equal(sent.encrypted, true);
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'PRIVATE-TYPED', { after: from });
    const wire = (await server.receivedStanzas()).slice(mark);
    assert.match(wire, /\?OTR/, 'the capture saw the private conversation');
    const fromAlice = new RegExp(`\\sfrom=['"]${jid('alice').replace(/\./g, '\\.')}[/'"]`);
    const leaked = wire.split('\n').filter((line) => fromAlice.test(line) && CHAT_STATE.test(line));
    assert.ok(wire.split('\n').some((line) => fromAlice.test(line) && line.includes('?OTR')), "the capture names alice's stanzas");
    assert.deepEqual(leaked, [], 'no chat-state stanza while private');
    assert.ok(!bob.events.slice(from).some((e) => e.name === 'contactUpdated' && (e.payload as { contact: { chatState?: string } }).contact.chatState));
    // Nor is a private message corrected (it would go out in plaintext).
    const refused = await alice.request('correctMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: sent.id, body: 'PRIVATE-EDIT' });
    assert.equal(refused.ok, false);
    assert.ok(!(await server.receivedStanzas()).includes('PRIVATE-EDIT'));
  });
});
