/**
 * Carbons (XEP-0280) and delivery receipts (XEP-0184) over a real Prosody:
 * another device of ours (a plain XMPP client in the test) sends and receives,
 * and its copies show in the right chat; copies of OTR traffic give one
 * notice and never reach our OTR engine; spoofed carbons are ignored; receipts
 * mark our messages delivered, and we confirm only what we showed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'carbons-pw';

describe('carbons and receipts', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  /** alice's other device and bob's other device: plain clients of our own XMPP stack, TLS verified against the test CA. */
  let laptop: XmppSession;
  let bobRaw: XmppSession;
  const bobRawSeen: Element[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  const device = async (user: string) => {
    const session = await XmppSession.open({
      local: user,
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    // Priority -1: messages to the bare JID go to the Klatsch resource only.
    await session.send(xml('presence', {}, xml('priority', {}, '-1')));
    return session;
  };

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob', 'carol'].map((username) => ({ username, password })),
      contacts: [['alice', 'bob']],
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    // Plaintext first (receipts and carbons of plain chats); private conversations come later in the file.
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'never' });
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'never' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    laptop = await device('alice');
    bobRaw = await device('bob');
    bobRaw.on('stanza', (s: Element) => bobRawSeen.push(s));
    bobRaw.start();
  });
  after(async () => {
    await laptop?.close();
    await bobRaw?.close();
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  const messages = (core: TestCore) =>
    core.events.filter((e) => e.name === 'messageUpserted').map((e) => (e.payload as { message: ChatMessage }).message);
  const shown = (core: TestCore, direction: ChatMessage['direction'], body: string | RegExp, after = 0) =>
    core.waitFor(
      'messageUpserted',
      (e) => e.message.direction === direction && (typeof body === 'string' ? e.message.body === body : body.test(e.message.body)),
      { after },
    );
  const aliceFullJid = () => {
    const state = (alice.core.snapshot().accounts[0]!.connection as { jid?: string }).jid;
    assert.ok(state?.includes('/'));
    return state!;
  };

  test('a message sent from another device shows as our own, in its chat', async () => {
    await laptop.send(chatMessage(jid('bob'), 'laptop-1', 'Sent from my laptop'));
    const copy = await shown(alice, 'out', 'Sent from my laptop');
    assert.equal(copy.message.peer, jid('bob'));
    assert.equal(copy.message.state, 'sent');
    assert.equal(copy.message.id, 'laptop-1');
    await shown(bob, 'in', 'Sent from my laptop');
  });

  test('a message another device received shows in the chat with its sender', async () => {
    await bobRaw.send(chatMessage(laptop.jid, 'raw-1', 'To your laptop'));
    const copy = await shown(alice, 'in', 'To your laptop');
    assert.equal(copy.message.peer, jid('bob'));
    assert.equal(copy.message.encrypted, undefined);
  });

  test('copies of OTR traffic give one notice and never reach the OTR engine', async () => {
    const from = alice.events.length;
    await laptop.send(chatMessage(jid('carol'), 'otr-1', '?OTR:AAMDAAAAAQAAAAEAAAAAAAAA.'));
    await laptop.send(chatMessage(jid('carol'), 'otr-2', '?OTR:AAMDAAAAAQAAAAEAAAAAAAAB.'));
    await bobRaw.send(chatMessage(laptop.jid, 'otr-3', '?OTR:AAMDAAAAAQAAAAEAAAAAAAAC.'));
    await laptop.send(chatMessage(jid('bob'), 'marker-1', 'marker after the OTR copies'));
    // The marker follows the laptop's copies on the same stream; bob's copy comes on another, in its own time.
    await shown(alice, 'out', 'marker after the OTR copies', from);
    await alice.waitFor('messageUpserted', (e) => e.message.peer === jid('bob') && /another of your devices/.test(e.message.body), { after: from });
    const since = alice.events.slice(from).filter((e) => e.name === 'messageUpserted').map((e) => (e.payload as { message: ChatMessage }).message);
    const notices = since.filter((m) => m.direction === 'notice' && /another of your devices/.test(m.body));
    assert.deepEqual(notices.map((m) => m.peer).sort(), [jid('bob'), jid('carol')], 'one notice per chat, not one per message');
    assert.ok(notices.every((m) => m.notice?.kind === 'other-device-private'), 'the UI words them by their kind');
    assert.ok(!messages(alice).some((m) => m.body.includes('?OTR')), 'no OTR data shown');
    assert.ok(!messages(alice).some((m) => /could not be read/.test(m.body)), 'the engine never saw the copies');
    const wire = await server.receivedStanzas();
    assert.ok(!/OTR Error/.test(wire), 'no OTR error went out for a copy');
  });

  test('spoofed carbons are ignored: from another user, or from a full JID of ours', async () => {
    const spoof = (outer: XmppSession, kind: 'sent' | 'received', body: string) =>
      outer.send(
        xml(
          'message',
          { to: aliceFullJid(), type: 'chat', id: `spoof-${kind}` },
          xml(
            kind,
            { xmlns: 'urn:xmpp:carbons:2' },
            xml(
              'forwarded',
              { xmlns: 'urn:xmpp:forward:0' },
              kind === 'sent'
                ? xml('message', { from: `${jid('alice')}/laptop`, to: jid('bob'), type: 'chat' }, xml('body', {}, body))
                : xml('message', { from: `${jid('bob')}/x`, to: `${jid('alice')}/laptop`, type: 'chat' }, xml('body', {}, body)),
            ),
          ),
        ),
      );
    await spoof(bobRaw, 'sent', 'SPOOFED-SENT');
    await spoof(bobRaw, 'received', 'SPOOFED-RECEIVED');
    await spoof(laptop, 'sent', 'SPOOFED-FULL-JID');
    await bobRaw.send(chatMessage(aliceFullJid(), 'after-spoof', 'after the spoofs'));
    await shown(alice, 'in', 'after the spoofs');
    assert.ok(!messages(alice).some((m) => m.body.startsWith('SPOOFED')), 'a spoofed carbon was shown');
  });

  test('plaintext: our message becomes delivered when the peer confirms it', async () => {
    const sent = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'please confirm (plain)' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'delivered');
    const wire = await server.receivedStanzas();
    assert.match(wire, new RegExp(`<received[^>]*\\sid='${sent.id}'`), 'bob answered with a receipt');
    assert.match(wire, /<request xmlns='urn:xmpp:receipts'\/>/, 'we asked for it');
  });

  test('private: delivered only after the peer decrypted it; protocol messages are never confirmed', async () => {
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'manual' });
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'manual' });
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private');
    const sent = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'SECRET-RECEIPT' });
    assert.equal(sent.encrypted, true);
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'delivered');

    // Every receipt that crossed the server confirms a message a user wrote, none an AKE message.
    const wire = (await server.receivedStanzas()).split('\n');
    const userIds = new Set([...messages(alice), ...messages(bob)].filter((m) => m.direction === 'out').map((m) => m.id));
    const confirmed = wire.flatMap((line) => [...line.matchAll(/<received(?=[^>]*xmlns='urn:xmpp:receipts')[^>]*\sid='([^']+)'/g)].map((m) => m[1]!));
    assert.ok(confirmed.includes(sent.id));
    const unexpected = confirmed.filter((id) => !userIds.has(id) && !id.startsWith('raw-') && !id.startsWith('after-'));
    assert.deepEqual(unexpected, [], 'receipts only for messages users wrote');
    assert.ok(!wire.some((line) => line.includes('SECRET-RECEIPT')));
  });

  test('during the private conversation, a plaintext copy from another device is flagged "not encrypted", as a live one is', async () => {
    assert.equal(reportedPrivacy(alice.core.snapshot().rosters[aliceAccount.id]?.find((c) => c.jid === jid('bob'))), 'private');
    const from = alice.events.length;
    await bobRaw.send(chatMessage(laptop.jid, 'raw-plain-1', 'Plaintext to your laptop'));
    const copy = await shown(alice, 'in', 'Plaintext to your laptop', from);
    assert.equal(copy.message.encrypted, undefined);
    const notice = await alice.waitFor('messageUpserted', (e) => e.message.peer === jid('bob') && e.message.notice?.kind === 'not-encrypted', { after: from });
    assert.equal(notice.message.body, 'The message above was not encrypted.');
    // Right after the copy it flags, as for a live plaintext message.
    const chat = alice.core.snapshot().chats[aliceAccount.id]?.[jid('bob')] ?? [];
    assert.deepEqual(
      chat.slice(-2).map((m) => m.notice?.kind ?? m.body),
      ['Plaintext to your laptop', 'not-encrypted'],
    );
  });

  test('we confirm what we showed, and nothing we could not read', async () => {
    const receipts = () =>
      bobRawSeen.map((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id as string | undefined).filter(Boolean);
    const withRequest = (id: string, body: string) =>
      xml('message', { to: aliceFullJid(), type: 'chat', id }, xml('body', {}, body), xml('request', { xmlns: 'urn:xmpp:receipts' }));
    const plainConfirmed = new Promise<void>((resolve) => {
      const check = () => {
        if (!receipts().includes('plain-1')) return;
        bobRaw.off('stanza', check);
        resolve();
      };
      bobRaw.on('stanza', check);
    });
    await bobRaw.send(withRequest('garbage-1', '?OTR:AAMDnot-a-real-message.'));
    await bobRaw.send(withRequest('plain-1', 'plain with a request'));
    await shown(alice, 'in', 'plain with a request');
    // The receipt for the shown message comes after anything owed for the earlier garbage (same stream, in order).
    await plainConfirmed;
    assert.deepEqual(receipts(), ['plain-1']);
  });

  test('service discovery says we do receipts (and EME, for OTR)', async () => {
    const info = await bobRaw.iq.request(xml('iq', { type: 'get', to: aliceFullJid() }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = (info.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChildren('feature') ?? []).map((f) => f.attrs.var);
    assert.ok(features.includes('urn:xmpp:receipts'));
    assert.ok(features.includes('urn:xmpp:eme:0'));
  });

  test('a stranger (not a contact) gets no receipt', async () => {
    const stranger = await device('carol');
    try {
      const seen: Element[] = [];
      stranger.on('stanza', (st: Element) => seen.push(st));
      stranger.start();
      await stranger.send(
        xml('message', { to: aliceFullJid(), type: 'chat', id: 'stranger-1' }, xml('body', {}, 'hello from a stranger'), xml('request', { xmlns: 'urn:xmpp:receipts' })),
      );
      await shown(alice, 'in', 'hello from a stranger');
      // A round trip through alice's core after the message: anything it sent for it came before the answer.
      const pong = await stranger.iq.request(xml('iq', { type: 'get', to: aliceFullJid() }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      assert.equal(pong.name, 'iq');
      assert.deepEqual(seen.filter((st) => st.getChild('received', 'urn:xmpp:receipts')), []);
    } finally {
      await stranger.close();
    }
  });
});
