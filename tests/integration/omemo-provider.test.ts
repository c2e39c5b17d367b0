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
    core.waitFor('contactUpdated', (e) => e.accountId === account.id && e.contact.jid === peerJid && e.contact.privacy === 'private', { timeoutMs: 20_000 });
  const received = (core: TestCore, peerJid: string, text: string) =>
    core.waitFor('messageUpserted', (e) => e.message.peer === peerJid && e.message.direction === 'in' && e.message.body === text, { timeoutMs: 20_000 });

  before(async () => {
    server = await startProsody({
      users: [{ username: 'alice', password }],
      contacts: [['alice', 'bob'], ['alice', 'carl'], ['alice', 'dora'], ['alice', 'emil']],
      extraConfig: `${OMEMO_PROSODY_CONFIG}\tdefault_archive_policy = true\n`,
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'klatsch-omemo-provider-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    account = await alice.call<AccountView>('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const version of ['0.3', '2'] as const) {
    const user = version === '0.3' ? 'bob' : 'carl';
    test(`${version}: Klatsch and the peer write to each other, encrypted`, async () => {
      const other = await peer({ username: user, versions: [version] });
      await omemoWith(alice, other.jid);
      const sent = await alice.call<ChatMessage>('sendMessage', { accountId: account.id, to: other.jid, body: `hello ${user} in ${version}` });
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
      assert.equal(contact(alice, other.jid)?.privacy, 'private');
      // Nothing raw reached the chat: no fallback text, no base64.
      assert.ok(chat(alice, other.jid).every((m) => !/OMEMO encrypted message|[A-Za-z0-9+/]{40,}/.test(m.body)), JSON.stringify(chat(alice, other.jid)));
    });
  }
});
