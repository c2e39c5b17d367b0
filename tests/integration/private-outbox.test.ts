/**
 * Private messages and the outbox over a real Prosody: what the user wrote in a private conversation
 * waits through server restarts and the contact's absence for the next private conversation, goes out
 * in it by itself, once, with its own id (the receiver recognises copies by id), and never in plaintext.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { tempProfiles, type TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { usersWith } from '../fixtures/xmpp-server.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'private-outbox-pw';

describe('private messages through restarts and absences', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const profiles = tempProfiles('klatsch-private-outbox-');
  const jid = (user: string) => `${user}@${server.domain}`;

  const online = (core: TestCore, after: number) => core.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after, timeoutMs: 30_000 });
  const send = (body: string) => alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
  const privacyOf = (core: TestCore, peer: string, privacy: string | undefined, after = 0) =>
    core.waitFor('contactUpdated', (e) => e.contact.jid === peer && reportedPrivacy(e.contact) === privacy, { after, timeoutMs: 30_000 });
  const bobsChat = async () => {
    const snapshot = await bob.call('getSnapshot', {});
    return snapshot.chats[bobAccount.id]?.[jid('alice')] ?? [];
  };
  const alicesChat = async () => {
    const snapshot = await alice.call('getSnapshot', {});
    return snapshot.chats[aliceAccount.id]?.[jid('bob')] ?? [];
  };
  /** A private conversation between the two, now. */
  const goPrivate = async () => {
    const from = alice.events.length;
    const fromBob = bob.events.length;
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await privacyOf(alice, jid('bob'), 'private', from);
    await privacyOf(bob, jid('alice'), 'private', fromBob);
  };
  /** Stops the server and waits until alice knows. */
  const serverDown = async () => {
    const from = alice.events.length;
    await server.stop();
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from });
  };
  const serverUp = async () => {
    const from = alice.events.length;
    await server.start();
    await online(alice, from);
  };
  /**
   * Sends a marker after `bodies` in the private conversation and waits for it at bob's: every copy of
   * `bodies` that was to come has come (they went out before it, in order). Returns how often each arrived.
   */
  const countAtBob = async (bodies: string[], marker: string) => {
    await send(marker);
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === marker, { timeoutMs: 30_000 });
    const chat = await bobsChat();
    return bodies.map((body) => chat.filter((m) => m.direction === 'in' && m.body === body).length);
  };

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, cores: [{ profileDir: await profiles.make() }, { profileDir: await profiles.make() }] }));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
    await profiles.removeAll();
  });

  test('written while the contact is away and the server down, then two more server restarts: each arrives once, with its id', async () => {
    await goPrivate();
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'finished', from);

    await serverDown();
    const bodies = ['PRIV-ONE', 'PRIV-TWO', 'PRIV-THREE'];
    const written: ChatMessage[] = [];
    for (const body of bodies) written.push(await send(body));
    for (const m of written) assert.equal(m.state, 'sending', 'kept for the next stream');
    // Each new stream hands the outbox to the private conversation again; there each waits for the contact.
    for (let restart = 0; restart < 3; restart++) {
      if (restart > 0) await serverDown();
      const from = alice.events.length;
      await serverUp();
      for (const m of written) {
        await alice.waitFor('messageUpserted', (e) => e.message.id === m.id && e.message.state === 'waiting', { after: from, timeoutMs: 30_000 });
      }
      // A round trip on the same stream: the server has handled what went before (the request for a private conversation).
      await alice.call('loadOlderMessages', { accountId: aliceAccount.id, peer: jid('bob') });
    }

    const beforeReturn = alice.events.length;
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'private', beforeReturn);
    for (const m of written) {
      await alice.waitFor('messageUpserted', (e) => e.message.id === m.id && (e.message.state === 'sent' || e.message.state === 'delivered'), { timeoutMs: 30_000 });
    }
    assert.deepEqual(await countAtBob(bodies, 'PRIV-MARKER-1'), [1, 1, 1], 'each shown exactly once');
    const chat = await bobsChat();
    for (const m of written) {
      const got = chat.find((g) => g.direction === 'in' && g.body === m.body);
      assert.equal(got?.id, m.id, 'the stanza that carried it has the message id');
      assert.equal(got?.encrypted, true);
    }
    const wire = await server.receivedStanzas();
    for (const body of bodies) assert.ok(!wire.includes(body), `${body} crossed the server in plaintext`);
    // Held once, sent once: one private stanza carries each (not one per stream that handed it in).
    for (const m of written) {
      const carrying = wire.split('\n').filter((line) => line.includes(`id='${m.id}'`) && line.includes('?OTR:'));
      assert.equal(carrying.length, 1, `${m.body} went out ${carrying.length} times`);
    }
  });

  test('the contact goes offline: what is typed meanwhile waits, says why, and goes out by itself when they are back', async () => {
    await goPrivate();
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'finished', from);

    const typed = await send('PRIV-AWAY');
    assert.equal(typed.state, 'waiting', 'waits, not failed');
    assert.equal(typeof typed.error === 'object' && typed.error.reason, 'private-waiting', 'a reason the UI words');
    assert.match(typeof typed.error === 'object' ? typed.error.text : '', /Waiting for a private conversation/);
    assert.equal(typed.encrypted, true);

    const beforeReturn = alice.events.length;
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'private', beforeReturn);
    await alice.waitFor('messageUpserted', (e) => e.message.id === typed.id && (e.message.state === 'sent' || e.message.state === 'delivered'), { timeoutMs: 30_000 });
    assert.deepEqual(await countAtBob(['PRIV-AWAY'], 'PRIV-MARKER-2'), [1]);
    const got = (await bobsChat()).find((m) => m.body === 'PRIV-AWAY');
    assert.equal(got?.id, typed.id);
    assert.equal(got?.encrypted, true);
    assert.ok(!(await alicesChat()).some((m) => m.state === 'failed'), 'nothing waits for "Send again"');
    assert.ok(!(await server.receivedStanzas()).includes('PRIV-AWAY'));
  });

  test('a burst of 150 private messages written during an outage all go out in the next private conversation, once each', async () => {
    await goPrivate();
    await serverDown();
    const bodies = Array.from({ length: 150 }, (_, i) => `PRIV-BURST-${String(i).padStart(3, '0')}`);
    const written: ChatMessage[] = [];
    for (const body of bodies) written.push(await send(body));
    await serverUp();
    for (const m of written) {
      const settled = await alice.waitFor('messageUpserted', (e) => e.message.id === m.id && ['sent', 'delivered', 'failed'].includes(e.message.state), { timeoutMs: 60_000 });
      assert.notEqual(settled.message.state, 'failed', `${m.body} failed: ${settled.message.error}`);
    }
    assert.deepEqual(await countAtBob(bodies, 'PRIV-MARKER-3'), bodies.map(() => 1));
    const wire = await server.receivedStanzas();
    assert.ok(!bodies.some((body) => wire.includes(body)), 'none crossed the server in plaintext');
  });
  test('the user ends the conversation while a message waits: it is marked not sent with why, and "Send again" sends it privately later', async () => {
    await goPrivate();
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'finished', from);
    const typed = await send('PRIV-ENDED');
    assert.equal(typed.state, 'waiting');
    await alice.call('endPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    const failed = await alice.waitFor('messageUpserted', (e) => e.message.id === typed.id && e.message.state === 'failed', { after: from });
    const why = failed.message.error;
    assert.equal(typeof why === 'object' && why.reason, 'private-ended', 'a reason the UI words');
    assert.match(typeof why === 'object' ? why.text : '', /ended/);

    const beforeReturn = alice.events.length;
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', { after: beforeReturn });
    await goPrivate();
    await alice.call('resendMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: typed.id });
    await alice.waitFor('messageUpserted', (e) => e.message.id === typed.id && (e.message.state === 'sent' || e.message.state === 'delivered'), { after: beforeReturn });
    assert.deepEqual(await countAtBob(['PRIV-ENDED'], 'PRIV-MARKER-4'), [1]);
    const got = (await bobsChat()).find((m) => m.body === 'PRIV-ENDED');
    assert.equal(got?.id, typed.id);
    assert.equal(got?.encrypted, true);
    assert.ok(!(await server.receivedStanzas()).includes('PRIV-ENDED'));
  });
});
