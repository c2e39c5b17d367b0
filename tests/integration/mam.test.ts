/**
 * The message archive (XEP-0313) over a real Prosody with mod_mam: what arrived while Klatsch was
 * offline comes from the archive exactly once (Prosody's offline storage delivers it too), also
 * what only another device of ours received; OTR found in the archive is never shown; results
 * forged by a contact are refused; older history comes page by page, in order, without duplicates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { ARCHIVE_PRIVATE_NOTICE, PAGE_SIZE } from '../../electron/core/archive/message-archive.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { loginOn, openDevice, usersWith } from '../fixtures/xmpp-server.js';

const password = 'mam-pw';

describe('message archive', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const jid = (user: string) => `${user}@${server.domain}`;
  const login = (user: string) => loginOn(server, user, password);

  const device = (user: string, priority: number) => openDevice(server, user, password, { priority });

  const online = (core: TestCore, accountId: string, after = 0) =>
    core.waitFor('accountUpdated', (a) => a.id === accountId && a.connection.kind === 'online', { after });
  const chat = (core: TestCore, peer: string): ChatMessage[] => core.core.snapshot().chats[Object.keys(core.core.snapshot().chats)[0]!]?.[peer] ?? [];
  const offline = async (core: TestCore, account: AccountView) => {
    await core.call('disconnectAccount', { accountId: account.id });
    await core.waitFor('accountUpdated', (a) => a.id === account.id && a.connection.kind === 'offline', { after: core.events.length - 1 });
  };
  const reconnect = async (core: TestCore, account: AccountView) => {
    const from = core.events.length;
    await core.call('connectAccount', { accountId: account.id });
    await online(core, account.id, from);
  };

  before(async () => {
    server = await startProsody({
      users: usersWith(password, 'alice', 'bob'),
      contacts: [['alice', 'bob']],
      extraConfig: '\tdefault_archive_policy = true\n',
    });
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, policy: 'never' }));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('messages sent while the receiver was offline arrive once, from the archive and offline storage alike', async () => {
    // One message while both are online, so that bob's archive mark is set.
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'before you left' });
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'before you left');
    await offline(bob, bobAccount);
    await reconnect(bob, bobAccount); // catches up: the mark now names the newest archived message
    await offline(bob, bobAccount);
    // Stored messages carry whole-second stamps (XEP-0203 as Prosody writes them): start in a new second,
    // so that "before you left" (timed to the millisecond when it arrived) is older by the stamps too.
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 10));
    const bodies = ['while away 1', 'while away 2', 'while away 3'];
    for (const body of bodies) await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
    const from = bob.events.length;
    await reconnect(bob, bobAccount);
    for (const body of bodies) {
      await bob.waitFor('messageUpserted', (e) => e.message.body === body && e.message.archiveId !== undefined, { after: from });
    }
    // The offline delivery and the archive both had them: each is shown once, in the order sent.
    const shown = chat(bob, jid('alice')).filter((m) => m.direction === 'in');
    assert.deepEqual(
      shown.map((m) => m.body),
      ['before you left', ...bodies],
    );
    assert.ok(shown.slice(1).every((m) => m.archiveId), 'recognized as archived');
    const wire = await server.receivedStanzas();
    assert.match(wire, /<query[^>]*xmlns='urn:xmpp:mam:2'/, 'bob asked the archive');
    // No receipts for archived messages beyond the ones the live (offline storage) copies earned.
    const bobContact = bob.core.snapshot().rosters[bobAccount.id]!.find((c) => c.jid === jid('alice'))!;
    assert.equal(bobContact.unread, 4, 'missed messages count as unread, once each');
  });

  test('what only another device of ours received comes from the archive', async () => {
    await offline(bob, bobAccount);
    const phone = await device('bob', 5); // online: the messages go to it, not to offline storage
    const aliceLaptop = await device('alice', -1);
    const phoneGotAll = new Promise<void>((resolve) => {
      phone.on('stanza', (s) => s.getChildText('body') === 'after the private one' && resolve());
      phone.start();
    });
    try {
      // It asks for a receipt: the phone does not give one, and Klatsch never answers for an archived message.
      await aliceLaptop.send(chatMessage(jid('bob'), 'laptop-to-phone-1', 'to your phone only', true));
      await aliceLaptop.send(chatMessage(jid('bob'), 'laptop-otr-1', '?OTR:AAMDAAAAAQAAAAEAAAAAAAAA.'));
      await aliceLaptop.send(chatMessage(jid('bob'), 'laptop-to-phone-2', 'after the private one'));
      // The phone answered; its message is ours (outgoing) in the archive.
      await phone.send(chatMessage(jid('alice'), 'phone-reply-1', 'reply from my phone'));
      await phoneGotAll;
    } finally {
      await phone.close();
      await aliceLaptop.close();
    }
    const from = bob.events.length;
    await reconnect(bob, bobAccount);
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'to your phone only', { after: from });
    await bob.waitFor('messageUpserted', (e) => e.message.body === 'after the private one', { after: from });
    const mine = await bob.waitFor('messageUpserted', (e) => e.message.body === 'reply from my phone', { after: from });
    assert.equal(mine.message.direction, 'out');
    assert.equal(mine.message.peer, jid('alice'));
    const list = chat(bob, jid('alice'));
    assert.ok(!list.some((m) => m.body.includes('?OTR')), 'no ciphertext from the archive');
    assert.equal(list.filter((m) => m.body === ARCHIVE_PRIVATE_NOTICE).length, 1, 'one notice instead');
    assert.doesNotMatch(await server.receivedStanzas(), /<received[^>]*laptop-to-phone-1/, 'no receipt for an archived message');
    const order = list.map((m) => m.body).filter((b) => ['to your phone only', ARCHIVE_PRIVATE_NOTICE, 'after the private one'].includes(b));
    assert.deepEqual(order, ['to your phone only', ARCHIVE_PRIVATE_NOTICE, 'after the private one']);
  });

  test('archive results forged by a contact are refused', async () => {
    const bobFull = (bob.core.snapshot().accounts[0]!.connection as { jid?: string }).jid!;
    const mallory = await device('alice', -1); // any other user can send us such a stanza
    try {
      const forged = (queryid: string) =>
        xml(
          'message',
          { to: bobFull, id: `forged-${queryid}` },
          xml('body', {}, 'FORGED-OUTER'),
          xml(
            'result',
            { xmlns: 'urn:xmpp:mam:2', queryid, id: `forged-arch-${queryid}` },
            xml(
              'forwarded',
              { xmlns: 'urn:xmpp:forward:0' },
              xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2020-01-01T00:00:00Z' }),
              xml('message', { from: `${jid('alice')}/x`, to: jid('bob'), type: 'chat', id: `forged-inner-${queryid}` }, xml('body', {}, 'FORGED-RESULT')),
            ),
          ),
        );
      await mallory.send(forged('guessed'));
      await mallory.send(forged(''));
      // A result arriving while bob's own query runs (its query id unknown to the forger) is refused too.
      const from = bob.events.length;
      const loading = bob.call('loadOlderMessages', { accountId: bobAccount.id, peer: jid('alice') });
      await mallory.send(forged('racing'));
      await loading;
      await mallory.send(chatMessage(bobFull, 'after-forgeries', 'after the forgeries'));
      await bob.waitFor('messageUpserted', (e) => e.message.body === 'after the forgeries', { after: from });
    } finally {
      await mallory.close();
    }
    const bodies = chat(bob, jid('alice')).map((m) => m.body);
    assert.ok(!bodies.some((b) => b.startsWith('FORGED')), `forged text shown: ${bodies.join(' | ')}`);
  });

  test('older history comes page by page, in order, without duplicates', async () => {
    const total = PAGE_SIZE + 15;
    const bodies = Array.from({ length: total }, (_, i) => `history ${String(i).padStart(3, '0')}`);
    for (const body of bodies) await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
    await bob.waitFor('messageUpserted', (e) => e.message.body === bodies.at(-1));
    // A new device for bob: a fresh profile, nothing local; sign-in fetches the newest page.
    const fresh = await startTestCore({ caPem: server.ca.caCertPem });
    try {
      const account = await fresh.call('addAccount', login('bob'));
      const history = () => chat(fresh, jid('alice')).map((m) => m.body).filter((b) => b.startsWith('history '));
      // Announced even when the page came before the new account was saved (its events start then).
      const newest = await fresh.waitFor('messageUpserted', (e) => e.message.body === bodies.at(-1));
      assert.ok(newest.message.archiveId, 'the newest page came at sign-in');
      assert.ok(history().length < total, 'only the newest page at sign-in');
      let pages = 0;
      let complete = false;
      while (!complete && pages < 20) {
        const page = await fresh.call('loadOlderMessages', { accountId: account.id, peer: jid('alice') });
        complete = page.complete;
        pages++;
        if (!complete) assert.ok(page.added > 0, 'a page that is not the last brings something');
      }
      assert.ok(complete, 'the archive ran out');
      assert.ok(pages >= 2, 'more than one page was needed');
      assert.deepEqual(history(), bodies, 'every message once, oldest first');
      const all = chat(fresh, jid('alice'));
      const times = all.map((m) => m.timestamp);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
      assert.equal(new Set(all.map((m) => m.archiveId ?? m.id)).size, all.length, 'no duplicates');
      // Asking again at the end adds nothing.
      assert.deepEqual(await fresh.call('loadOlderMessages', { accountId: account.id, peer: jid('alice') }), { added: 0, complete: true });
    } finally {
      await fresh.dispose();
    }
  });

  test('loading older messages while offline is a clear error', async () => {
    await offline(bob, bobAccount);
    const result = await bob.request('loadOlderMessages', { accountId: bobAccount.id, peer: jid('alice') });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'not-connected');
  });
});
