/**
 * Avatars between two real app cores on a real Prosody with PEP and vCard
 * compatibility: Alice publishes her picture (XEP-0084), Bob learns of it from
 * her presence hash (XEP-0153) and fetches it; a fresh login sees it too; a
 * removal reaches Bob; what is not an image is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { makePng } from '../fixtures/png.js';

const password = 'avatars-Passw0rd';

describe('avatars', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  let alice: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;
  const jid = (user: string) => `${user}@${server.domain}`;
  const picture = makePng(48, [36, 87, 197], [250, 190, 60]);
  const dataUrl = `data:image/png;base64,${picture.toString('base64')}`;

  async function signIn(user: string): Promise<{ core: TestCore; id: string }> {
    const core = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(core);
    const account = await core.call('addAccount', { jid: jid(user), password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort });
    await core.waitFor('rosterReplaced', (e) => e.accountId === account.id);
    return { core, id: account.id };
  }

  before(async () => {
    server = await startProsody({
      users: [{ username: 'alice', password }, { username: 'bob', password }],
      contacts: [['alice', 'bob']],
      extraConfig: 'modules_enabled = { "pep"; "vcard_legacy" }',
    });
    ({ core: alice, id: aliceId } = await signIn('alice'));
    ({ core: bob, id: bobId } = await signIn('bob'));
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
  });
  after(async () => {
    for (const core of cores) await core.dispose();
    await server?.dispose();
  });

  test('Alice sets her picture: she and Bob see it, a fresh login of Bob too', async () => {
    await alice.call('setAvatar', { accountId: aliceId, image: picture.toString('base64') });
    const own = await alice.waitFor('avatarChanged', (e) => e.jid === jid('alice') && e.avatar !== undefined);
    assert.equal(own.avatar, dataUrl);
    const seen = await bob.waitFor('avatarChanged', (e) => e.jid === jid('alice') && e.avatar !== undefined);
    assert.equal(seen.avatar, dataUrl, 'the same image, checked against the announced hash');
    assert.equal((await bob.call('getSnapshot', {})).avatars?.[bobId]?.[jid('alice')], dataUrl);

    const { core: fresh, id: freshId } = await signIn('bob');
    const later = await fresh.waitFor('avatarChanged', (e) => e.accountId === freshId && e.jid === jid('alice'));
    assert.equal(later.avatar, dataUrl);
    await fresh.core.stop();

    // Alice on another device: her own picture comes with her own presence.
    const { core: aliceAgain, id: aliceAgainId } = await signIn('alice');
    const mine = await aliceAgain.waitFor('avatarChanged', (e) => e.accountId === aliceAgainId && e.jid === jid('alice'));
    assert.equal(mine.avatar, dataUrl);
    await aliceAgain.core.stop();
  });

  test('what is not a PNG, JPEG, GIF or WebP is refused before anything is sent', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').toString('base64');
    const result = await alice.request('setAvatar', { accountId: aliceId, image: svg.padEnd(Math.ceil(svg.length / 4) * 4, '=') });
    assert.equal(!result.ok && result.error.code, 'invalid-request');
  });

  test('Alice removes her picture: Bob no longer shows it', async () => {
    const from = bob.events.length;
    await alice.call('setAvatar', { accountId: aliceId });
    await bob.waitFor('avatarChanged', (e) => e.jid === jid('alice') && e.avatar === undefined, { after: from });
    assert.equal((await bob.call('getSnapshot', {})).avatars?.[bobId]?.[jid('alice')], undefined);
  });

  test('signed out: a clear error', async () => {
    await bob.call('disconnectAccount', { accountId: bobId });
    const result = await bob.request('setAvatar', { accountId: bobId, image: picture.toString('base64') });
    assert.equal(!result.ok && result.error.code, 'not-connected');
  });
});
