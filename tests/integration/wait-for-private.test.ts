/**
 * "Wait for a private conversation before the first message" through the whole core over a real
 * Prosody: after a restart, the first message to a contact with whom a private conversation happened
 * before waits ('waiting') while the AKE runs and goes out private; the server never sees its text.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'wait-private-pw';

describe('the first message waits for a private conversation', () => {
  let server: ProsodyServer;
  let profileDir: string;
  const cores: TestCore[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-wait-private-'));
  });
  after(async () => {
    for (const core of cores) await core.dispose().catch(() => undefined);
    await server?.dispose();
    await fs.rm(profileDir, { recursive: true, force: true });
  });

  test('after a restart, the first message to a contact who spoke OTR before goes out private, never in plaintext', async () => {
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    const bob = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(bob);
    await bob.call<AccountView>('addAccount', login('bob'));
    const alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    await alice.call('setSettings', { waitForPrivate: true });
    const account = await alice.call<AccountView>('addAccount', login('alice'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await alice.call('startPrivate', { accountId: account.id, peer: jid('bob') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private');
    await alice.core.stop(); // quits: Bob is told the conversation ended

    const again = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    cores.push(again);
    await again.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    assert.notEqual(reportedPrivacy(again.core.snapshot().rosters[account.id]?.find((c) => c.jid === jid('bob'))), 'private', 'plaintext after the restart');
    const first = await again.call<ChatMessage>('sendMessage', { accountId: account.id, to: jid('bob'), body: 'SECRET-FIRST after the restart' });
    // Held while the private conversation starts (it may first read 'sending' while the new stream takes the outbox).
    await again.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'waiting');
    await again.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'sent');
    const got = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'SECRET-FIRST after the restart');
    assert.equal(got.message.encrypted, true);
    assert.ok(!(await server.receivedStanzas()).includes('SECRET-FIRST'), 'never on the wire in plaintext');
  });
});
