// The receiver's app killed while a message it got (the server counts it delivered: acknowledged at the stream, or
// dropped from a killed stream's queue as "in the archive", mod_smacks) is still on its way to the chat, and later
// messages were already shown. After the restart the archive catch-up must start before that message: the archive
// mark may pass a live message only once it and every one before it are in the history. (The soak lost a sender's
// messages this way: the mark followed each live message as it arrived.)
// The kill is a copy of the profile taken in one synchronous step (what is on disk at that instant: committed
// transactions only), then the app is started again on that copy. The message is held on its way by a test double
// of the encryption seam that waits before it shows it (as a slow decryption or a busy conversation queue would).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import type { StanzaInfo } from '../../electron/core/e2ee/provider.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { DoubleProvider, doubleMessage } from '../fixtures/double-e2ee.js';
import { until } from '../fixtures/until.js';

const password = 'in-flight-pw';

/** The double, except that its encrypted messages wait for `release` before they are shown. */
class HeldDouble extends DoubleProvider {
  release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));
  held = 0;

  override async receive(from: string, info: StanzaInfo, message: Element, body: string | undefined): Promise<void> {
    if (this.claims(message)) {
      this.held++;
      await this.released;
    }
    return super.receive(from, info, message, body);
  }
}

describe('the receiver is killed while a message is on its way to its chat', () => {
  let server: ProsodyServer;
  let alice: TestCore | undefined;
  let restarted: TestCore | undefined;
  let bob: XmppSession | undefined;
  let copyDir: string | undefined;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob'].map((username) => ({ username, password })),
      contacts: [['alice', 'bob']],
      extraConfig: '\tdefault_archive_policy = true\n',
    });
  });
  after(async () => {
    await bob?.close().catch(() => undefined);
    await restarted?.dispose();
    await alice?.dispose();
    await server?.dispose();
    if (copyDir) await fs.rm(copyDir, { recursive: true, force: true });
  });

  test('after the restart, the held message comes from the archive, once; the ones shown before it are not shown again', async () => {
    const doubles: HeldDouble[] = [];
    const withHeld = [
      (host: ConstructorParameters<typeof DoubleProvider>[0]) => {
        const made = new HeldDouble(host);
        doubles.push(made);
        return made;
      },
    ];
    alice = await startTestCore({ caPem: server.ca.caCertPem, e2eeProviders: withHeld });
    const account: AccountView = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    bob = await XmppSession.open({
      local: 'bob',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    const plain = (id: string, text: string) => xml('message', { to: jid('alice'), id, type: 'chat' }, xml('body', {}, text));
    const chat = (core: TestCore): ChatMessage[] => core.core.snapshot().chats[account.id]?.[jid('bob')] ?? [];
    const shownWith = (core: TestCore, text: string) => chat(core).filter((m) => m.direction === 'in' && m.body === text);

    // Caught up (an archived message shown live after the catch-up: the mark is set).
    await until(() => alice!.core.snapshot().accounts.some((a) => a.id === account.id && a.connection.kind === 'online'), 30_000);
    await bob.send(plain('first', 'FIRST'));
    assert.ok(await until(() => shownWith(alice!, 'FIRST').length === 1 && shownWith(alice!, 'FIRST')[0]!.archiveId !== undefined, 30_000));
    await new Promise((r) => setTimeout(r, 1_500)); // the catch-up (not awaited by the sign-in) is done

    // Held on its way to the chat; three more behind it are shown (they take another way: plaintext, no double).
    await bob.send(doubleMessage(jid('alice'), 'held', 'HELD'));
    assert.ok(await until(() => doubles[0]!.held === 1, 30_000), 'the held message arrived');
    for (const n of [1, 2, 3]) await bob.send(plain(`after-${n}`, `AFTER-${n}`));
    assert.ok(await until(() => [1, 2, 3].every((n) => shownWith(alice!, `AFTER-${n}`).length === 1), 30_000));

    // Killed now: the profile as it is on disk at this instant.
    copyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-killed-'));
    cpSync(alice.profileDir, copyDir, { recursive: true });
    await alice.dispose();
    alice = undefined;

    restarted = await startTestCore({ caPem: server.ca.caCertPem, profileDir: copyDir, e2eeProviders: withHeld });
    doubles.at(-1)!.release(); // the new app's double holds nothing
    const arrived = await until(() => shownWith(restarted!, 'HELD').length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1_500)); // late copies have come
    assert.ok(arrived, 'the message that was on its way at the kill is shown after the restart (from the archive)');
    assert.equal(shownWith(restarted, 'HELD').length, 1, 'HELD shown once');
    for (const text of ['FIRST', 'AFTER-1', 'AFTER-2', 'AFTER-3']) assert.equal(shownWith(restarted, text).length, 1, `${text} shown once`);
  });
});
