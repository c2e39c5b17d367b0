/**
 * A chat that was encrypted with OMEMO does not fall to plaintext when the contact's device lists come empty
 * (against a real Prosody and the reference OMEMO peer, python-omemo). The lists are PEP items: whoever can
 * publish on the account — the contact removing OMEMO, another client of theirs, or a hostile server — can
 * empty them. Before, the chat then went to OTR by itself, and under the default (opportunistic) policy the
 * next message left in plaintext, for the server to read, in a chat the header had just shown as private.
 * Now the chat stays OMEMO and says nothing can be sent ('devices-gone'); what the user writes meanwhile is
 * not sent, never in plaintext; once the devices are back, the chat is private again.
 * The same when our own OMEMO key file is damaged: it is reported (the profile's storage problems), left as
 * it is, and a contact announcing devices keeps an OMEMO chat in which nothing can be sent ('keys-unreadable').
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AccountView, Contact } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, tempProfiles, type TestCore } from '../fixtures/core.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';
import { publishDeviceList } from '../../electron/core/omemo/xmpp/pep.js';
import type { OmemoVersion } from '../../electron/core/omemo/xmpp/common.js';

const password = 'omemo-gone-pw';
const T = { timeoutMs: 20_000 };

describe('OMEMO devices gone: the chat does not fall to plaintext', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let account: AccountView;
  const peers: OmemoPeer[] = [];
  const BOB = () => `bob@${server.domain}`;
  const contactUpdate = (match: (c: Contact) => boolean, after = 0) =>
    alice.waitFor('contactUpdated', (e) => e.contact.jid === BOB() && match(e.contact), { after, ...T }).then((e) => e.contact);

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }], contacts: [['alice', 'bob'], ['alice', 'carl']], extraConfig: OMEMO_PROSODY_CONFIG });
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    account = await alice.call('addAccount', { jid: `alice@${server.domain}`, password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  });
  const profiles = tempProfiles('klatsch-omemo-gone-');
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await server?.dispose();
    await profiles.removeAll();
  });

  /** Publishes bob's device lists (both versions) with `ids`, from a client of his without OMEMO (it puts nothing back). */
  async function publishLists(client: OmemoPeer, ids: number[]): Promise<void> {
    for (const version of ['oldmemo', 'twomemo'] as OmemoVersion[]) {
      const publish = publishDeviceList(version, ids.map((id) => ({ id }))).publish;
      // Without publish-options: the node keeps the settings the reference peer gave it.
      publish.getChild('pubsub')?.children.splice(1);
      publish.attrs.id = `lists-${version}-${ids.length}`;
      await client.raw(publish.toString());
    }
  }

  test('lists emptied after an OMEMO chat: nothing goes out in plaintext, the chat says why, and is private again when the devices are back', async () => {
    const bob = await startOmemoPeer({ server, username: 'bob', versions: ['oldmemo', 'twomemo'] });
    peers.push(bob);
    await contactUpdate((c) => c.e2ee?.scheme === 'omemo' && c.e2ee.state === 'private');
    const first = await alice.call('sendMessage', { accountId: account.id, to: BOB(), body: 'first, over OMEMO' });
    assert.equal(first.encrypted, true);
    assert.equal((await bob.nextMessage((m) => m.from === `alice@${server.domain}`, 20_000)).text, 'first, over OMEMO');
    const bobDevice = bob.own!.deviceId;
    await bob.close();

    // Another client of bob's (no OMEMO) empties both lists; the server tells alice.
    const other = await startOmemoPeer({ server, username: 'bob', password: bob.password, register: false, versions: [] });
    peers.push(other);
    const mark = alice.events.length;
    await publishLists(other, []);
    const gone = await contactUpdate((c) => c.e2ee?.unavailable === 'devices-gone', mark);
    assert.equal(gone.e2ee?.scheme, 'omemo', 'still an OMEMO chat');

    const secret = 'SECRET-WRITTEN-AFTER-THE-LISTS-WERE-EMPTIED';
    const sent = await alice.call('sendMessage', { accountId: account.id, to: BOB(), body: secret });
    assert.equal(sent.encrypted, true, 'written in an encrypted chat: it may leave only encrypted');
    const settled = await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state !== 'sending', T);
    assert.equal(settled.message.state, 'failed', 'not sent: no device can receive it');
    assert.ok(!(await server.receivedStanzas()).includes(secret), 'the server never saw the text');
    // The contact's view never said plaintext or another scheme meanwhile.
    const views = alice.events.slice(mark).filter((e) => e.name === 'contactUpdated').map((e) => (e.payload as { contact: Contact }).contact).filter((c) => c.jid === BOB());
    assert.ok(views.every((c) => c.e2ee?.scheme === 'omemo'), JSON.stringify(views.map((c) => c.e2ee)));

    // bob's device is announced again: the chat is private again.
    const back = alice.events.length;
    await publishLists(other, [bobDevice]);
    const privateAgain = await contactUpdate((c) => c.e2ee?.state === 'private' && !c.e2ee.unavailable, back);
    assert.equal(privateAgain.e2ee?.scheme, 'omemo');
  });

  test('our OMEMO key file damaged: reported and left as it is; the chat with a contact announcing devices sends nothing, never in plaintext', async () => {
    const carl = await startOmemoPeer({ server, username: 'carl', versions: ['oldmemo', 'twomemo'] });
    peers.push(carl);
    const profile = await profiles.make();
    let core = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir: profile });
    const added = await core.call('addAccount', { jid: `alice@${server.domain}`, password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    const CARL = `carl@${server.domain}`;
    await core.waitFor('contactUpdated', (e) => e.contact.jid === CARL && e.contact.e2ee?.scheme === 'omemo' && e.contact.e2ee.state === 'private', T);
    const first = await core.call('sendMessage', { accountId: added.id, to: CARL, body: 'before the file was damaged' });
    await core.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'sent', T);
    await core.dispose();

    const file = path.join(profile, 'omemo', `${createHash('sha256').update(`alice@${server.domain}`).digest('hex').slice(0, 32)}.json`);
    const damaged = Buffer.from('{"this is": "not an OMEMO store"');
    await fs.writeFile(file, damaged);
    core = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir: profile });
    try {
      const problems = core.core.snapshot().storageProblems ?? [];
      assert.ok(problems.some((p) => p.reason.startsWith('storage-') && p.params?.store === 'omemo'), JSON.stringify(problems));
      const view = await core.waitFor('contactUpdated', (e) => e.contact.jid === CARL && e.contact.e2ee?.unavailable === 'keys-unreadable', T);
      assert.equal(view.contact.e2ee?.scheme, 'omemo');
      const secret = 'SECRET-WRITTEN-WITH-A-DAMAGED-KEY-FILE';
      const sent = await core.call('sendMessage', { accountId: added.id, to: CARL, body: secret });
      assert.equal(sent.encrypted, true, 'written in an encrypted chat: it may leave only encrypted');
      const settled = await core.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state !== 'sending', T);
      assert.equal(settled.message.state, 'failed');
      assert.ok(!(await server.receivedStanzas()).includes(secret), 'the server never saw the text');
      assert.deepEqual(await fs.readFile(file), damaged, 'the damaged file is left as it is');
    } finally {
      await core.dispose();
    }
  });
});
