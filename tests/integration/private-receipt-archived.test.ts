// Private mode, the sender's app killed (SIGKILL) after the server took its private messages but before the contact's
// receipts for them came: Prosody keeps the dead stream for resumption, archives each receipt that comes to it, and
// delivers it nowhere else. The sender must read them from the archive after its restart, and not send the messages
// again. Unread (issue 17, full soak), every private message stayed unconfirmed and went again in every new private
// conversation: hundreds of copies, ahead of everything written since, until a conversation lasted long enough.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage, Contact, EventName } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startHostedApp, type HostedApp } from '../fixtures/dev-host-client.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'private-receipt-archived-pw';

describe('private mode: receipts that came to a stream of the sender that died', () => {
  let server: ProsodyServer;
  let alice: HostedApp | undefined;
  let bob: HostedApp | undefined;
  const profiles: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const until = async (what: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  };

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob'].map((username) => ({ username, password })),
      contacts: [['alice', 'bob']],
    });
  });
  after(async () => {
    if (bob?.alive) process.kill(bob.pid, 'SIGCONT');
    await bob?.stop();
    await alice?.stop();
    await server?.dispose();
    for (const dir of profiles) await fs.rm(dir, { recursive: true, force: true });
  });

  /** One side's app on its profile, with what it reports: online, private with its contact, its chat with them. */
  const side = (name: string, peer: () => string) => {
    const seen = { online: false, private: false, chat: new Map<string, ChatMessage>() };
    const onEvent = (event: EventName, payload: unknown) => {
      if (event === 'messageUpserted') {
        const message = (payload as { message: ChatMessage }).message;
        if (message.peer === peer()) seen.chat.set(message.id, message);
      } else if (event === 'accountUpdated') seen.online = (payload as AccountView).connection.kind === 'online';
      else if (event === 'contactUpdated') {
        const contact = (payload as { contact: Contact }).contact;
        if (contact.jid === peer()) seen.private = reportedPrivacy(contact)?.startsWith('private') === true;
      }
    };
    return { seen, onEvent, name };
  };

  test('read from the archive after the restart: the messages show delivered and do not go again', { timeout: 240_000 }, async () => {
    const aliceProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-receipt-archived-alice-'));
    const bobProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-receipt-archived-bob-'));
    profiles.push(aliceProfile, bobProfile);
    let a = side('alice', () => jid('bob'));
    const b = side('bob', () => jid('alice'));
    alice = await startHostedApp({ caFile: server.ca.caCertFile, profileDir: aliceProfile, onEvent: a.onEvent });
    bob = await startHostedApp({ caFile: server.ca.caCertFile, profileDir: bobProfile, onEvent: b.onEvent });
    const aliceAccount = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    const bobAccount = await bob.call('addAccount', { jid: jid('bob'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'always' });
    await alice.call('setKeepPrivateHistory', { accountId: aliceAccount.id, peer: jid('bob'), keep: true });
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'always' });
    assert.ok(await until(() => a.seen.online && b.seen.online, 30_000), 'both online');
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    assert.ok(await until(() => a.seen.private && b.seen.private, 30_000), 'a private conversation');

    // bob's app confirms what it shows: from now on alice's private messages wait for that confirmation.
    const first = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ARCHIVED-RECEIPT-0 confirmed live' });
    assert.ok(await until(() => a.seen.chat.get(first.id)?.state === 'delivered', 30_000), 'the first message is confirmed');

    // bob's app stops reading; alice writes; the server takes her messages (and hands them to bob's socket).
    process.kill(bob.pid, 'SIGSTOP');
    const written: ChatMessage[] = [];
    for (let i = 1; i <= 3; i++) written.push(await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: `ARCHIVED-RECEIPT-${i} while bob was busy` }));
    assert.ok(await until(() => written.every((m) => a.seen.chat.get(m.id)?.state === 'sent'), 30_000), 'the server has them');
    await new Promise((r) => setTimeout(r, 1_000)); // and alice's history has that (committed at most 200 ms later)

    // alice's app dies (the server keeps its stream for resumption); bob goes on, shows them and confirms them to it.
    await alice.kill();
    process.kill(bob.pid, 'SIGCONT');
    assert.ok(await until(() => written.every((m) => b.seen.chat.get(m.id)?.direction === 'in'), 30_000), 'bob shows them');
    const receiptsArchived = async () => {
      const wire = await server.receivedStanzas();
      return written.every((m) => new RegExp(`<received[^>]*id=['"]${m.id}['"]`).test(wire));
    };
    const end = Date.now() + 30_000;
    while (!(await receiptsArchived())) {
      assert.ok(Date.now() < end, "bob's receipts reach the server");
      await new Promise((r) => setTimeout(r, 50));
    }

    // alice starts again on her profile and writes one more private message (it waits for a new private conversation).
    a = side('alice', () => jid('bob'));
    alice = await startHostedApp({ caFile: server.ca.caCertFile, profileDir: aliceProfile, onEvent: a.onEvent });
    assert.ok(await until(() => a.seen.online, 30_000), 'alice online again');
    assert.ok(await until(() => written.every((m) => a.seen.chat.get(m.id)?.state === 'delivered'), 30_000), 'the archived receipts confirm them');
    const after = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ARCHIVED-RECEIPT-4 after the restart' });
    assert.ok(await until(() => b.seen.chat.get(after.id)?.direction === 'in', 60_000), 'the new message reaches bob');

    // What bob had confirmed went over the server once: not again in the new private conversation.
    const wire = await server.receivedStanzas();
    for (const m of written) {
      const copies = wire.match(new RegExp(`<message\\b[^>]*\\bid=['"]${m.id}['"][^>]*>\\s*<body>`, 'g')) ?? [];
      assert.equal(copies.length, 1, `${m.body}: sent once`);
    }
  });
});
