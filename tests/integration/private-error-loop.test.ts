// Private mode ("always"), #17: the soak's private half collapsed into a loop. An app that cannot read a burst of
// private messages (the conversation they went out in is gone: the app was killed, or replaced it meanwhile) answers
// each one with an OTR error, as libotr does; the sender answered each error with a query, each query cost a new AKE
// that replaced the conversation again, and what was offered again (unconfirmed messages, with their ids) or written
// in one went out in a conversation the other side had already replaced: unreadable again, more errors, more AKEs,
// hundreds of messages lost and "waiting". A burst of errors must start one new private conversation, not one each.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';
import { rawLogin } from '../fixtures/raw-xmpp.js';

const password = 'private-error-loop-pw';
const ERRORS = 12;
const UNREADABLE = '?OTR Error: You transmitted an unreadable encrypted message.';

describe('private mode: a burst of OTR errors starts one new private conversation, not a loop', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const profiles: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: ['alice', 'bob'].map((username) => ({ username, password })), contacts: [['alice', 'bob']] });
    for (const who of ['alice', 'bob']) profiles.push(await fs.mkdtemp(path.join(os.tmpdir(), `klatsch-error-loop-${who}-`)));
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir: profiles[0]! });
    bob = await startTestCore({ caPem: server.ca.caCertPem, profileDir: profiles[1]! });
    aliceAccount = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    bobAccount = await bob.call('addAccount', { jid: jid('bob'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    for (const [core, account, peer] of [[alice, aliceAccount, jid('bob')], [bob, bobAccount, jid('alice')]] as const) {
      await core.call('setOtrPolicy', { accountId: account.id, peer, policy: 'always' });
      await core.call('setKeepPrivateHistory', { accountId: account.id, peer, keep: true });
    }
  });
  after(async () => {
    await bob?.dispose();
    await alice?.dispose();
    await server?.dispose();
    for (const dir of profiles) await fs.rm(dir, { recursive: true, force: true });
  });

  test('errors answering each unreadable message: alice asks for a new private conversation once; every message arrives once', { timeout: 240_000 }, async () => {
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', { timeoutMs: 30_000 });
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact)?.startsWith('private') === true, { timeoutMs: 30_000 });
    const first = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'LOOP-0' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'delivered', { timeoutMs: 30_000 });
    const aliceFull = /from='(alice@[^/']+\/[^']+)'/.exec(await server.receivedStanzas())?.[1];
    assert.ok(aliceFull, "alice's full JID");

    // A second app of bob's answers each of a burst of messages it could not read with an OTR error (as libotr does),
    // while alice writes on.
    const raw = await rawLogin({ host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem }, 'bob', password);
    const wireBefore = (await server.receivedStanzas()).length;
    const bobEventsBefore = bob.events.length;
    const sent: ChatMessage[] = [];
    try {
      for (let i = 0; i < ERRORS; i++) {
        raw.send(`<message type='chat' to='${aliceFull}' id='err-${i}'><body>${UNREADABLE}</body></message>`);
        if (i % 3 === 0) sent.push(await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: `LOOP-${sent.length + 1}` }));
      }
      await alice.waitFor('messageUpserted', (e) => e.message.peer === jid('bob') && e.message.notice?.kind === 'peer-error', { timeoutMs: 30_000 });
      for (let i = 0; i < 4; i++) sent.push(await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: `LOOP-${sent.length + 1}` }));
      for (const m of sent) await bob.waitFor('messageUpserted', (e) => e.message.id === m.id && e.message.direction === 'in', { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 3_000)); // late queries, AKEs and copies have come
    } finally {
      raw.close();
    }

    const wire = (await server.receivedStanzas()).slice(wireBefore).split('\n');
    const queriesToBob = wire.filter((s) => /\?OTRv2?3\?/.test(s) && s.includes(`to='${jid('bob')}`)).length;
    assert.ok(queriesToBob <= 1, `one query for the burst of errors, not ${queriesToBob}`);
    const made = bob.events.slice(bobEventsBefore).filter((e) => {
      if (e.name !== 'messageUpserted') return false;
      const kind = (e.payload as { message: ChatMessage }).message.notice?.kind;
      return kind === 'private-refreshed' || kind?.startsWith('private-started') === true;
    });
    assert.ok(made.length <= 1, `bob's private conversation made again at most once, not ${made.length} times`);
    const snapshot = await bob.call('getSnapshot', {});
    const chat = snapshot.chats[bobAccount.id]?.[jid('alice')] ?? [];
    for (const m of sent) {
      assert.equal(chat.filter((c) => c.direction === 'in' && c.id === m.id).length, 1, `${m.body} once in bob's chat`);
      assert.equal(chat.find((c) => c.id === m.id)?.encrypted, true, `${m.body} came private`);
    }
  });
});
