/**
 * OMEMO in a group chat, through the UI (issue 15): Klatsch (in Chromium, over a real Prosody with its `muc`
 * service) enters a members-only, non-anonymous room the reference OMEMO peer (python-omemo) created. The room
 * says it is end-to-end encrypted with OMEMO; the peer's message shows decrypted, and what the user writes
 * reaches the peer encrypted. A room that does not qualify stays plainly "not end-to-end encrypted".
 * Screenshot in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startOmemoPeer, type OmemoPeer } from '../tests/fixtures/omemo-peer.js';
import { assertAccessible } from './support/axe.js';
import { shots, startOmemoScene, type OmemoScene } from './support/omemo-scene.js';

const password = 'e2e-omemo-groups-Passw0rd';

describe('OMEMO in a group chat', () => {
  let server: ProsodyServer;
  let scene: OmemoScene;
  let page: Page;
  let errors: string[];
  let peers: OmemoPeer[];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    scene = await startOmemoScene({ password, contact: 'petra', muc: true });
    ({ server, page, errors, peers } = scene);
  });
  after(async () => {
    await scene?.close();
  });

  async function join(address: string, nick: string): Promise<void> {
    await page.getByTestId('open-join-room').click();
    await page.getByTestId('join-room-address').fill(address);
    await page.getByTestId('join-room-nick').fill(nick);
    await page.getByTestId('join-room-submit').click();
    await page.getByTestId('join-room-dialog').waitFor({ state: 'detached' });
  }

  test('a members-only, non-anonymous room is marked encrypted with OMEMO; messages both ways decrypt', async () => {
    const petra = await startOmemoPeer({ server, username: 'petra', versions: ['oldmemo'] });
    peers.push(petra);
    // Klatsch knows petra's devices before she writes (her device list comes with her presence).
    await page.locator(`[data-testid="contact"][data-jid="${jid('petra')}"]`).waitFor();
    const room = `crew@conference.${server.domain}`;
    await petra.joinRoom(room, 'Petra', { config: { membersOnly: true, nonAnonymous: true }, members: [jid('alice')] });
    await join(room, 'Alice');
    const view = page.locator(`[data-testid="room-view"][data-room="${room}"][data-state="joined"]`);
    await view.waitFor();
    const banner = view.getByTestId('room-encrypted');
    assert.equal(await banner.getAttribute('data-scheme'), 'omemo');
    assert.equal((await banner.innerText()).replace(/^🔒\s*/u, ''), 'This group chat is end-to-end encrypted with OMEMO: only its members\u2019 devices can read it.');
    assert.equal(await view.getByTestId('room-not-encrypted').count(), 0, 'never both');

    const sent = await petra.sendToRoom(room, 'Guten Morgen, verschlüsselt');
    assert.deepEqual(sent.errors, []);
    const incoming = view.locator('[data-testid="room-message"][data-direction="in"]', { hasText: 'Guten Morgen, verschlüsselt' });
    await incoming.waitFor({ timeout: 20_000 });
    assert.equal(await incoming.getAttribute('data-encrypted'), 'true');
    assert.equal(await incoming.getByTestId('message-not-encrypted').count(), 0);

    const from = petra.events.length;
    await page.getByTestId('composer').fill('Morgen, Petra!');
    await page.getByTestId('composer').press('Enter');
    const got = await petra.nextRoomMessage((m) => m.text === 'Morgen, Petra!', 20_000, from);
    assert.equal(got.from, jid('alice'));
    assert.equal(got.version, 'oldmemo');
    await view.locator('[data-testid="room-message"][data-direction="out"][data-state="sent"][data-encrypted="true"]', { hasText: 'Morgen, Petra!' }).waitFor({ timeout: 20_000 });
    assert.equal(await view.locator('[data-testid="message-body"]', { hasText: 'OMEMO encrypted message' }).count(), 0, 'no fallback text shown');
    await assertAccessible(page, 'an OMEMO-encrypted group chat');
    await page.screenshot({ path: path.join(shots, 'omemo-group-chat.png') });
  });

  test('an open room stays plainly not end-to-end encrypted', async () => {
    await join('Lounge', 'Alice');
    const view = page.locator(`[data-testid="room-view"][data-room="lounge@conference.${server.domain}"][data-state="joined"]`);
    await view.waitFor();
    await view.getByTestId('room-not-encrypted').waitFor();
    assert.equal(await view.getByTestId('room-encrypted').count(), 0);
    assert.deepEqual(errors, []);
  });
});
