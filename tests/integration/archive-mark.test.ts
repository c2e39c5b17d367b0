// The archive catch-up must know where to start even when no archived message has been seen yet (issue 17): a new
// profile whose archive was empty at sign-in, with only unarchived traffic since (`<no-store/>`, as private
// messages are sent), goes offline; another device of ours receives more than a page of messages meanwhile (so the
// server's offline storage has none of them). Back online, every one of them must come from the archive, once, in
// order — not only the newest page (the catch-up without a mark used to fetch just that).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { PAGE_SIZE } from '../../electron/core/archive/message-archive.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { openDevice, usersWith } from '../fixtures/xmpp-server.js';
import { until } from '../fixtures/until.js';

const password = 'archive-mark-pw';

describe('the archive catch-up without an archived message seen before', () => {
  let server: ProsodyServer;
  let alice: TestCore | undefined;
  let bob: XmppSession | undefined;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: usersWith(password, 'alice', 'bob'),
      contacts: [['alice', 'bob']],
      extraConfig: '\tdefault_archive_policy = true\n',
    });
  });
  after(async () => {
    await bob?.close().catch(() => undefined);
    await alice?.dispose();
    await server?.dispose();
  });

  test('an empty archive at sign-in, unarchived traffic only, then more than a page missed: all of it comes, once, in order', async () => {
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    const account: AccountView = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    const connectedIs = (kind: string) => alice!.core.snapshot().accounts.some((a) => a.id === account.id && a.connection.kind === kind);
    assert.ok(await until(() => connectedIs('online'), 30_000));
    const chat = (): ChatMessage[] => alice!.core.snapshot().chats[account.id]?.[jid('bob')] ?? [];
    // The sign-in's catch-up has asked the empty archive; a later query on the same stream is answered after it.
    for (let tries = 0; !/<query[^>]*xmlns='urn:xmpp:mam:2'/.test(await server.receivedStanzas()); tries++) {
      assert.ok(tries < 300, 'the sign-in asked the archive');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await alice.call('loadOlderMessages', { accountId: account.id, peer: jid('bob') }), { added: 0, complete: true });

    bob = await openDevice(server, 'bob', password);
    // Not archived (XEP-0334), as OTR messages are sent: shown, but no archive id to continue from.
    await bob.send(xml('message', { to: jid('alice'), id: 'unarchived', type: 'chat' }, xml('body', {}, 'UNARCHIVED'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    assert.ok(await until(() => chat().some((m) => m.body === 'UNARCHIVED'), 30_000));
    assert.equal(chat().find((m) => m.body === 'UNARCHIVED')!.archiveId, undefined, 'the server did not archive it');

    await alice.call('disconnectAccount', { accountId: account.id });
    assert.ok(await until(() => connectedIs('offline'), 30_000));
    // Stamps have whole seconds: the missed messages start in a new second.
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 10));
    const total = PAGE_SIZE + 15;
    const bodies = Array.from({ length: total }, (_, i) => `missed ${String(i).padStart(3, '0')}`);
    const phone = await openDevice(server, 'alice', password, { priority: 5 }); // they go to it, not to offline storage
    try {
      const phoneGotAll = new Promise<void>((resolve) => phone.on('stanza', (s) => s.getChildText('body') === bodies.at(-1) && resolve()));
      phone.start();
      for (const [i, body] of bodies.entries()) await bob.send(xml('message', { to: jid('alice'), id: `missed-${i}`, type: 'chat' }, xml('body', {}, body)));
      await phoneGotAll;
    } finally {
      await phone.close();
    }

    await alice.call('connectAccount', { accountId: account.id });
    const missed = () => chat().filter((m) => m.body.startsWith('missed '));
    await until(() => missed().length >= total, 30_000);
    // Every one, once each, in the order sent (a page short: the oldest ones were lost before the fix).
    assert.deepEqual(
      missed().map((m) => m.body),
      bodies,
    );
    assert.equal(chat().filter((m) => m.body === 'UNARCHIVED').length, 1);
  });
});
