/**
 * OMEMO trust in the UI (issue 15): Klatsch (in Chromium, over a real Prosody) chats with a contact on the
 * reference OMEMO peer (python-omemo). The chat header names OMEMO; the trust manager lists each device of
 * the contact with its key and state; the user verifies one after comparing fingerprints; a new device of
 * the contact is then held until the user accepts it. Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startOmemoPeer, type OmemoPeer } from '../tests/fixtures/omemo-peer.js';
import { assertAccessible } from './support/axe.js';
import { shots, startOmemoScene, type OmemoScene } from './support/omemo-scene.js';

const password = 'e2e-omemo-Passw0rd';

describe('OMEMO devices in the trust manager', () => {
  let server: ProsodyServer;
  let scene: OmemoScene;
  let page: Page;
  let errors: string[];
  let peers: OmemoPeer[];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    scene = await startOmemoScene({ password, contact: 'hanna' });
    ({ server, page, errors, peers } = scene);
  });
  after(async () => {
    await scene?.close();
  });

  const row = (deviceId: number) => page.locator(`[data-testid="contact-key"][data-scheme="omemo"][data-device="${deviceId}"]`);

  test('the header names OMEMO; each device is listed, verified after comparing, a new one held until accepted', async () => {
    const phone = await startOmemoPeer({ server, username: 'hanna', versions: ['twomemo'] });
    peers.push(phone);
    await page.locator(`[data-testid="contact"][data-jid="${jid('hanna')}"]`).click();
    await phone.send(jid('alice'), 'Hallo Alice, OMEMO hier');
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Hallo Alice, OMEMO hier' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    assert.equal((await page.getByTestId('privacy-scheme').innerText()).trim(), '· OMEMO');

    await page.getByTestId('open-trust-manager').click();
    const manager = page.getByTestId('trust-manager');
    await manager.waitFor();
    await row(phone.own!.deviceId).and(page.locator('[data-device-state="trusted-blindly"]')).waitFor({ timeout: 20_000 });
    assert.ok(await manager.locator('[data-testid="own-key"][data-scheme="omemo"]').count() >= 1, 'our own OMEMO key is listed');

    // Verify: both fingerprints side by side, and only after the user says they compared them.
    await row(phone.own!.deviceId).getByTestId('key-verify').click();
    const dialog = page.getByTestId('verify-key-dialog');
    await dialog.waitFor();
    const theirs = (await dialog.getByTestId('auth-their-fingerprint').innerText()).replace(/\s+/g, '');
    assert.equal(theirs, phone.own!.identityKey.toLowerCase());
    assert.match(await dialog.getByTestId('auth-own-fingerprint').innerText(), /^([0-9a-f]{8} ){7}[0-9a-f]{8}$/);
    assert.equal(await dialog.getByTestId('verify-key-confirm').isDisabled(), true);
    await dialog.getByTestId('auth-manual-verified').check();
    await dialog.getByTestId('verify-key-confirm').click();
    await row(phone.own!.deviceId).and(page.locator('[data-device-state="verified"]')).waitFor();

    // Hanna adds a tablet and writes from it: held, listed with Accept, its message not shown.
    const tablet = await phone.secondDevice({ versions: ['twomemo'] });
    peers.push(tablet);
    await tablet.send(jid('alice'), 'vom Tablet');
    const held = row(tablet.own!.deviceId).and(page.locator('[data-device-state="held"]'));
    await held.waitFor({ timeout: 20_000 });
    await assertAccessible(page, 'the trust manager with OMEMO devices');
    await page.screenshot({ path: path.join(shots, 'omemo-trust-manager.png') });

    await held.getByTestId('key-accept').click();
    await row(tablet.own!.deviceId).and(page.locator('[data-device-state="trusted-blindly"]')).waitFor();
    await page.getByTestId('trust-close').click();
    await manager.waitFor({ state: 'detached' });
    // The phone stays verified, the tablet is not: the header says private, not verified, with OMEMO.
    await page.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    assert.equal((await page.getByTestId('privacy-scheme').innerText()).trim(), '· OMEMO');
    assert.equal(await page.locator('[data-testid="message"]', { hasText: 'vom Tablet' }).count(), 0, 'the held device’s message was not shown');
    assert.deepEqual(errors, []);
  });
});
