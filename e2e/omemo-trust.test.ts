/**
 * OMEMO trust in the UI (issue 15): Klatsch (in Chromium, over a real Prosody) chats with a contact on the
 * reference OMEMO peer (python-omemo). The chat header names OMEMO; the trust manager lists each device of
 * the contact with its key and state; the user verifies one after comparing fingerprints; a new device of
 * the contact is then held until the user accepts it. Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../tests/fixtures/omemo-peer.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { assertAccessible } from './support/axe.js';
import { signIn } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'e2e-omemo-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('OMEMO devices in the trust manager', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[];
  const peers: OmemoPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }], contacts: [['alice', 'hanna']], extraConfig: OMEMO_PROSODY_CONFIG });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    app = await startAppInstance(server.ca.caCertFile);
    ({ page, errors } = await openAppPage(browser, app.url, { viewport: { width: 1100, height: 760 } }));
    await signIn(page, { jid: jid('alice'), password, host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await Promise.all(peers.map((p) => p.close()));
    await server?.dispose();
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
