/**
 * OMEMO through the encryption seam (issue 15): a Klatsch core with its OmemoProvider chats with the
 * reference peer (python-omemo over slixmpp, tests/fixtures/omemo-peer.ts) on the tests' Prosody, in
 * XEP-0384 0.3 and in urn:xmpp:omemo:2: both ways live, a first message to a contact who is offline (a
 * key exchange waiting in offline storage), a second device on each side (carbons decrypted), the
 * archive's copies decrypted after sign-in, a new device of the contact, and a broken session repaired.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage, Contact } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer, type OmemoPeerOptions } from '../fixtures/omemo-peer.js';

const password = 'omemo-pw';

describe('OMEMO through the seam, against python-omemo', () => {
  let server: ProsodyServer;
  let dir: string;
  let alice: TestCore;
  let account: AccountView;
  const peers: OmemoPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const chat = (core: TestCore, peer: string): ChatMessage[] => core.core.snapshot().chats[account.id]?.[peer] ?? [];
  const contact = (core: TestCore, peer: string): Contact | undefined => core.core.snapshot().rosters[account.id]?.find((c) => c.jid === peer);
  const peer = async (opts: Omit<OmemoPeerOptions, 'server'>): Promise<OmemoPeer> => {
    const made = await startOmemoPeer({ server, ...opts });
    peers.push(made);
    return made;
  };
  /** Klatsch knows the contact's OMEMO devices: the chat is private with OMEMO. */
  const omemoWith = (core: TestCore, peerJid: string) =>
    core.waitFor('contactUpdated', (e) => e.accountId === account.id && e.contact.jid === peerJid && e.contact.e2ee?.state === 'private' && e.contact.e2ee.scheme === 'omemo', { timeoutMs: 20_000 });
  const received = (core: TestCore, peerJid: string, text: string) =>
    core.waitFor('messageUpserted', (e) => e.message.peer === peerJid && e.message.direction === 'in' && e.message.body === text, { timeoutMs: 20_000 });

  before(async () => {
    server = await startProsody({
      users: [{ username: 'alice', password }],
      contacts: [['alice', 'bob'], ['alice', 'carl'], ['alice', 'dora'], ['alice', 'emil'], ['alice', 'fritz'], ['alice', 'gina']],
      extraConfig: `${OMEMO_PROSODY_CONFIG}\tdefault_archive_policy = true\n`,
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'klatsch-omemo-provider-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    account = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const version of ['oldmemo', 'twomemo'] as const) {
    const user = version === 'oldmemo' ? 'bob' : 'carl';
    test(`${version}: Klatsch and the peer write to each other, encrypted`, async () => {
      const other = await peer({ username: user, versions: [version] });
      await omemoWith(alice, other.jid);
      const sent = await alice.call('sendMessage', { accountId: account.id, to: other.jid, body: `hello ${user} in ${version}` });
      const got = await other.nextMessage((m) => m.from === jid('alice'), 20_000);
      assert.equal(got.text, `hello ${user} in ${version}`);
      assert.equal(got.version, version);
      await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state !== 'sending');
      const mine = chat(alice, other.jid).find((m) => m.id === sent.id)!;
      assert.equal(mine.encrypted, true, 'recorded as sent encrypted');
      const reply = await other.send(jid('alice'), `hi alice, ${user} here`);
      assert.deepEqual(reply.errors, []);
      assert.deepEqual(reply.messages.map((m) => m.version), [version]);
      const shown = await received(alice, other.jid, `hi alice, ${user} here`);
      assert.equal(shown.message.encrypted, true);
      assert.equal(contact(alice, other.jid)?.e2ee?.scheme, 'omemo');
      // Nothing raw reached the chat: no fallback text, no base64.
      assert.ok(chat(alice, other.jid).every((m) => !/OMEMO encrypted message|[A-Za-z0-9+/]{40,}/.test(m.body)), JSON.stringify(chat(alice, other.jid)));
    });
  }

  for (const version of ['oldmemo', 'twomemo'] as const) {
    const user = version === 'oldmemo' ? 'dora' : 'emil';
    test(`${version}: the first message to a contact who is offline reaches them when they come back`, async () => {
      const storageFile = path.join(dir, `${user}.json`);
      const first = await peer({ username: user, versions: [version], storageFile });
      await omemoWith(alice, first.jid);
      await first.close();
      await alice.waitFor('contactUpdated', (e) => e.contact.jid === first.jid && e.contact.presence.show === 'offline');
      const sent = await alice.call('sendMessage', { accountId: account.id, to: first.jid, body: `while you were away, ${user}` });
      await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent');
      assert.equal(chat(alice, first.jid).find((m) => m.id === sent.id)?.encrypted, true);
      const back = await first.restart();
      peers.push(back);
      const got = await back.nextMessage((m) => m.from === jid('alice'), 20_000);
      assert.equal(got.text, `while you were away, ${user}`);
      assert.equal(got.version, version);
      // The session the key exchange started works both ways.
      await back.send(jid('alice'), `back again, ${user}`);
      await received(alice, first.jid, `back again, ${user}`);
    });
  }

  test('second devices on both sides: each device reads, carbons decrypt, a new device of the contact is used, the archive catches up', async () => {
    // fritz's phone speaks both versions (as Gajim), the device he adds only 0.3 (as Conversations).
    const fritz = await peer({ username: 'fritz', versions: ['oldmemo', 'twomemo'] });
    await omemoWith(alice, fritz.jid);
    const laptopProfile = await mkdtemp(path.join(dir, 'laptop-'));
    let laptop = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir: laptopProfile });
    const laptopAccount = await laptop.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    assert.equal(laptopAccount.id, account.id === laptopAccount.id ? account.id : laptopAccount.id);
    const laptopChat = (peerJid: string): ChatMessage[] => laptop.core.snapshot().chats[laptopAccount.id]?.[peerJid] ?? [];
    await laptop.waitFor('contactUpdated', (e) => e.contact.jid === fritz.jid && e.contact.e2ee?.state === 'private' && e.contact.e2ee.scheme === 'omemo', { timeoutMs: 20_000 });
    // Both of alice's devices are on her lists (each publishes itself, and puts back what the other dropped).
    for (;;) {
      const devices = await fritz.devices(jid('alice'));
      if (devices.filter((d) => d.active.oldmemo || d.active.twomemo).length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const from = alice.events.length;
    const phone2 = await fritz.secondDevice({ versions: ['oldmemo'] });
    peers.push(phone2);
    // The new device's list came before its presence (the peer publishes first): Klatsch knows it by then.
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === fritz.jid, { after: from });

    const fritzFrom = fritz.events.length;
    const sent = await alice.call('sendMessage', { accountId: account.id, to: fritz.jid, body: 'to every device of yours' });
    const onPhone = await fritz.nextMessage((m) => m.text === 'to every device of yours', 20_000, fritzFrom);
    assert.equal(onPhone.version, 'twomemo', 'the device that announced omemo:2 gets omemo:2');
    const onNew = await phone2.nextMessage((m) => m.text === 'to every device of yours', 20_000);
    assert.equal(onNew.version, 'oldmemo', 'the device that announced only 0.3 gets 0.3');
    // Our laptop reads what the desktop sent (a sent carbon, encrypted for our other devices too).
    await laptop.waitFor('messageUpserted', (e) => e.message.peer === fritz.jid && e.message.direction === 'out' && e.message.body === 'to every device of yours' && e.message.encrypted === true, { timeoutMs: 20_000 });
    assert.ok(laptopChat(fritz.jid).every((m) => m.direction !== 'notice'), JSON.stringify(laptopChat(fritz.jid)));
    assert.equal(chat(alice, fritz.jid).find((m) => m.id === sent.id)?.encrypted, true);
    // Never the same message twice to one device: the phone read it once, in one version.
    await fritz.send(jid('alice'), 'sync');
    await received(alice, fritz.jid, 'sync');
    assert.equal(fritz.events.slice(fritzFrom).filter((e) => e.event === 'message' && (e as { text?: string }).text === 'to every device of yours').length, 1);

    // The new device writes: both of alice's devices read it.
    await phone2.send(jid('alice'), 'from the new phone');
    await received(alice, fritz.jid, 'from the new phone');
    await received(laptop, fritz.jid, 'from the new phone');

    // The laptop is off; what fritz writes meanwhile comes from the archive when it is back.
    await laptop.dispose();
    await fritz.send(jid('alice'), 'while the laptop slept');
    await received(alice, fritz.jid, 'while the laptop slept');
    laptop = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir: laptopProfile });
    try {
      const caught = await received(laptop, fritz.jid, 'while the laptop slept');
      assert.equal(caught.message.encrypted, true);
    } finally {
      await laptop.dispose();
    }
  });

  test('a session that broke is repaired: a notice (never the payload), a new key exchange, the next message reads', async () => {
    const gina = await peer({ username: 'gina', versions: ['oldmemo'] });
    await omemoWith(alice, gina.jid);
    const first = await gina.send(jid('alice'), 'before it broke');
    await received(alice, gina.jid, 'before it broke');
    // Klatsch completes the session gina's key exchange started (an empty message) before anything breaks.
    await gina.waitFor((e) => e.event === 'empty' && (e as { from?: string }).from === jid('alice'), 20_000);
    // The same message again with its key damaged: it cannot decrypt.
    const stanza = first.messages[0]!.xml
      .replace(/ id="[^"]*"/, ' id="broken-1"')
      .replace(/(<key [^>]*>)([A-Za-z0-9+/]{8})/g, (_m, open: string, head: string) => `${open}${head.split('').reverse().join('')}`);
    const from = alice.events.length;
    const ginaFrom = gina.events.length;
    await gina.raw(stanza);
    const notice = await alice.waitFor('messageUpserted', (e) => e.message.peer === gina.jid && e.message.direction === 'notice' && e.message.notice?.kind === 'unreadable', { after: from, timeoutMs: 20_000 });
    assert.doesNotMatch(notice.message.body, /[A-Za-z0-9+/]{24,}|OMEMO encrypted message/);
    // Klatsch started a new session: an empty message with a key exchange reached gina.
    await gina.waitFor((e) => e.event === 'empty' && (e as { from?: string }).from === jid('alice'), 20_000, ginaFrom);
    const after = await gina.send(jid('alice'), 'after the repair');
    await received(alice, gina.jid, 'after the repair').catch((error: Error) => {
      throw new Error(`${error.message}\n${JSON.stringify(after)}\n${JSON.stringify(gina.events.slice(ginaFrom))}`);
    });
    const sent = await alice.call('sendMessage', { accountId: account.id, to: gina.jid, body: 'and back' });
    assert.ok(sent.id);
    await gina.nextMessage((m) => m.text === 'and back', 20_000, ginaFrom);
  });
});
