// The server acknowledged a message (XEP-0198) and then lost it: the sender must not show it "sent" forever.
// A Prosody test module takes the message (and acknowledges it) but never routes it. For a contact whose app
// confirms messages (XEP-0184), the message is marked unconfirmed once their app confirmed a later one (or
// stayed silent while online); "Send again" goes with the same id, and the receiver shows it once. A contact
// whose app sends no receipts never gets the mark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { loginOn, openDevice, usersWith } from '../fixtures/xmpp-server.js';

const password = 'unconfirmed-pw';
/** Short, so the test waits on events and not minutes; the silence bound well above any receipt's way here. */
const timings = { graceMs: 300, silenceMs: 5_000 };

describe('a message the server took and lost is shown as not confirmed, and can be sent again', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  /** A contact whose app never sends receipts (as libotr clients and apps without XEP-0184). */
  let dave: XmppSession;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob', 'dave'), contacts: [['alice', 'bob'], ['alice', 'dave']], dropping: true });
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, policy: 'never', cores: [{ unconfirmed: timings }, { unconfirmed: timings }] }));
    dave = await openDevice(server, 'dave', password, { priority: 0 });
    dave.start();
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('dave') && e.contact.presence.show === 'online');
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('dave'), policy: 'never' });
    // Bob's app has confirmed a message before: alice knows it confirms messages.
    const hello = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'HELLO' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === hello.id && e.message.state === 'delivered');
  });
  after(async () => {
    await dave?.close();
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  const send = (to: string, body: string) => alice.call('sendMessage', { accountId: aliceAccount.id, to: jid(to), body });
  const aliceSees = (id: string, match: (m: ChatMessage) => boolean, after = 0) =>
    alice.waitFor('messageUpserted', (e) => e.message.id === id && match(e.message), { after, timeoutMs: 30_000 });
  const chatOf = async (core: TestCore, account: AccountView, peer: string) => (await core.call('getSnapshot', {})).chats[account.id]?.[jid(peer)] ?? [];
  const atBob = async (id: string) => (await chatOf(bob, bobAccount, 'alice')).filter((m) => m.direction === 'in' && m.id === id).length;
  /** Everything clients sent to the server, as it took it (the drop module runs after the capture). */
  const serverTook = async (what: (wire: string) => boolean) => {
    const end = Date.now() + 30_000;
    while (!what(await server.receivedStanzas())) {
      if (Date.now() > end) throw new Error('the server never took it');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  test('lost by the server: marked once the contact confirmed a later message; sent again, shown once and delivered', async () => {
    await server.dropMessages('LOST-A');
    const lost = await send('bob', 'LOST-A');
    await aliceSees(lost.id, (m) => m.state === 'sent'); // acknowledged by the server
    const later = await send('bob', 'AFTER-A');
    await aliceSees(later.id, (m) => m.state === 'delivered');
    const marked = await aliceSees(lost.id, (m) => m.unconfirmed !== undefined);
    assert.equal(marked.message.state, 'sent', 'the server took it: not "not sent"');
    assert.equal(marked.message.unconfirmed, 'later-confirmed');
    assert.equal(await atBob(lost.id), 0, 'bob never got it');
    await server.dropMessages();

    const from = alice.events.length;
    await alice.call('resendMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: lost.id });
    const delivered = await aliceSees(lost.id, (m) => m.state === 'delivered', from);
    assert.equal(delivered.message.unconfirmed, undefined, 'the mark is gone with the receipt');
    assert.equal(await atBob(lost.id), 1, 'shown once, with its id');
    const stored = (await chatOf(alice, aliceAccount, 'bob')).find((m) => m.id === lost.id);
    assert.equal(stored?.state, 'delivered');
    assert.equal(stored?.unconfirmed, undefined);
  });

  test('the receipt was lost, not the message: marked, sent again with its id, still shown once, then delivered', async () => {
    await server.dropMessages('<received/>');
    const first = await send('bob', 'RECEIPT-LOST');
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.id === first.id);
    await serverTook((wire) => wire.split('\n').some((line) => line.includes('<received') && line.includes(first.id)));
    await server.dropMessages();
    const later = await send('bob', 'AFTER-RECEIPT-LOST');
    await aliceSees(later.id, (m) => m.state === 'delivered');
    await aliceSees(first.id, (m) => m.state === 'sent' && m.unconfirmed === 'later-confirmed');

    const from = alice.events.length;
    await alice.call('resendMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: first.id });
    const delivered = await aliceSees(first.id, (m) => m.state === 'delivered', from);
    assert.equal(delivered.message.unconfirmed, undefined);
    assert.equal(await atBob(first.id), 1, 'the copy is recognised by its id: shown once');
  });

  test("a contact whose app sends no receipts: its messages are never marked, also when another contact's silence is", async () => {
    const from = alice.events.length;
    const toDave = [await send('dave', 'NO-RECEIPTS-1'), await send('dave', 'NO-RECEIPTS-2')];
    for (const m of toDave) await aliceSees(m.id, (x) => x.state === 'sent', from);
    // A lost message to bob, taken by the server after dave's: bob's silence marks it after the same online time.
    await server.dropMessages('SILENT-LOSS');
    const lost = await send('bob', 'SILENT-LOSS');
    await aliceSees(lost.id, (m) => m.state === 'sent', from);
    const marked = await aliceSees(lost.id, (m) => m.unconfirmed !== undefined, from);
    assert.equal(marked.message.unconfirmed, 'silence', 'bob was online and confirmed nothing for the whole bound');
    await server.dropMessages();
    assert.equal((await chatOf(alice, aliceAccount, 'dave')).filter((m) => m.direction === 'out').length, 2);
    for (const m of await chatOf(alice, aliceAccount, 'dave')) assert.equal(m.unconfirmed, undefined, `${m.body}: not marked`);
    const markedEvents = alice.events.slice(from).filter((e) => e.name === 'messageUpserted' && (e.payload as { message: ChatMessage }).message.peer === jid('dave') && (e.payload as { message: ChatMessage }).message.unconfirmed !== undefined);
    assert.deepEqual(markedEvents, []);
    const refused = await alice.requestUnchecked('resendMessage', { accountId: aliceAccount.id, peer: jid('dave'), id: toDave[0]!.id });
    assert.equal(refused.ok, false, 'nothing to send again: it is not marked');
  });

  // Runs last: bob's app is replaced by a new session.
  test("the receiver's session that got it went away before confirming: the next session's receipts do not mark it", async () => {
    // Reaches bob's app, whose receipt is lost; then that app session ends (its messages come again from the archive, without receipts).
    await server.dropMessages('<received/>');
    const reached = await send('bob', 'REACHED-OLD-SESSION');
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.id === reached.id);
    await serverTook((wire) => wire.split('\n').some((line) => line.includes('<received') && line.includes(reached.id)));
    await server.dropMessages();
    const from = alice.events.length;
    await bob.dispose();
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'offline', { after: from });
    bob = await startTestCore({ caPem: server.ca.caCertPem, unconfirmed: timings });
    bobAccount = await bob.call('addAccount', loginOn(server, 'bob', password));
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'never' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', { after: from });
    const toNewSession = await send('bob', 'TO-NEW-SESSION');
    await aliceSees(toNewSession.id, (m) => m.state === 'delivered');

    // A message lost now is marked after the grace that follows a later receipt: by then the earlier one would have been too.
    await server.dropMessages('LOST-AFTER-RESTART');
    const lost = await send('bob', 'LOST-AFTER-RESTART');
    await aliceSees(lost.id, (m) => m.state === 'sent', from);
    const later = await send('bob', 'NEXT-AFTER-RESTART');
    await aliceSees(later.id, (m) => m.state === 'delivered', from);
    await aliceSees(lost.id, (m) => m.unconfirmed === 'later-confirmed', from);
    await server.dropMessages();
    const stored = (await chatOf(alice, aliceAccount, 'bob')).find((m) => m.id === reached.id);
    assert.equal(stored?.state, 'sent');
    assert.equal(stored?.unconfirmed, undefined, 'no evidence it was lost: the session that had it is gone');
  });
});
