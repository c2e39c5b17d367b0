/**
 * OMEMO beside OTR in the UI (issue 15), Klatsch in Chromium over a real Prosody with a contact on the
 * reference OMEMO peer (python-omemo):
 * - the chat header's menu sets the encryption per contact (automatic, OMEMO, OTR), in English and German;
 * - the trust manager shows our own OMEMO device as a QR code (Conversations' `xmpp:` URI, which the drawn
 *   code decodes to), and a pasted URI verifies the contact's device it names.
 * Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { decodeQR } from 'qr/decode.js';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startOmemoPeer, type OmemoPeer } from '../tests/fixtures/omemo-peer.js';
import { assertAccessible } from './support/axe.js';
import { shots, startOmemoScene, type OmemoScene } from './support/omemo-scene.js';

const password = 'e2e-omemo-scheme-Passw0rd';

/** The QR code's modules, read back from the SVG path QrCode draws ("M{x} {y}h1v1h-1z" per dark module). */
function decodeDrawnQr(viewBox: string, d: string): string {
  const size = Number(viewBox.split(' ')[2]);
  const scale = 6;
  const px = size * scale;
  const data = new Uint8Array(px * px * 4).fill(255);
  for (const [, xs, ys] of d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    const [x, y] = [Number(xs), Number(ys)];
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = ((y * scale + dy) * px + (x * scale + dx)) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
    }
  }
  return decodeQR({ width: px, height: px, data });
}

describe('OMEMO or OTR per contact, and OMEMO verification by QR code', () => {
  let server: ProsodyServer;
  let scene: OmemoScene;
  let page: Page;
  let errors: string[];
  let peers: OmemoPeer[];
  let phone: OmemoPeer;
  const jid = (user: string) => `${user}@${server.domain}`;

  async function language(value: 'en' | 'de') {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('settings-language').selectOption(value);
    await page.waitForFunction((lang) => document.documentElement.lang === lang, value);
    await page.getByTestId('settings-close').click();
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' });
  }

  before(async () => {
    scene = await startOmemoScene({ password, contact: 'hanna' });
    ({ server, page, errors, peers } = scene);
    phone = await startOmemoPeer({ server, username: 'hanna', versions: ['twomemo'] });
    peers.push(phone);
  });
  after(async () => {
    await scene?.close();
  });

  test('the chat header menu sets the encryption for the contact: OTR instead of OMEMO, and back (English, German)', async () => {
    await page.locator(`[data-testid="contact"][data-jid="${jid('hanna')}"]`).click();
    await phone.send(jid('alice'), 'Hallo mit OMEMO');
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Hallo mit OMEMO' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('privacy-scheme').filter({ hasText: 'OMEMO' }).waitFor();

    await page.getByTestId('privacy-state').click();
    const select = page.getByTestId('e2ee-scheme');
    assert.equal(await select.inputValue(), '', 'automatic');
    assert.deepEqual(await select.locator('option').allInnerTexts(), ['Automatic (OMEMO when available, else OTR)', 'OMEMO', 'OTR']);
    assert.equal(await select.isDisabled(), false);
    await select.selectOption('otr');
    // OTR now: no OMEMO in the header (no OTR session yet with an app that does not speak OTR).
    await page.locator('[data-testid="privacy-state"][data-privacy="plaintext"]').waitFor();
    assert.equal(await page.getByTestId('privacy-scheme').count(), 0);
    assert.equal(await select.inputValue(), 'otr');
    await assertAccessible(page, 'the privacy menu with the encryption choice');
    await page.screenshot({ path: path.join(shots, 'omemo-scheme-menu-en.png') });

    await page.keyboard.press('Escape');
    await language('de');
    await page.getByTestId('privacy-state').click();
    assert.match(await page.locator('.menu-field', { has: select }).innerText(), /Verschlüsselungsverfahren mit hanna/);
    assert.equal((await select.locator('option').allInnerTexts())[0], 'Automatisch (OMEMO, wenn möglich, sonst OTR)');
    await page.screenshot({ path: path.join(shots, 'omemo-scheme-menu-de.png') });
    await select.selectOption('');
    await page.getByTestId('privacy-scheme').filter({ hasText: 'OMEMO' }).waitFor();
    await page.keyboard.press('Escape');
    await language('en');
    assert.deepEqual(errors, []);
  });

  test('our own device as a QR code of its xmpp: URI; a pasted URI verifies the contact’s device it names', async () => {
    await page.getByTestId('open-trust-manager').click();
    const manager = page.getByTestId('trust-manager');
    await manager.waitFor();
    const toggle = manager.getByTestId('own-qr-toggle');
    await toggle.waitFor();
    assert.equal(await toggle.count(), 1, 'one code: the device, with the key 0.3 clients compare');
    await toggle.click();
    const uri = (await manager.getByTestId('own-qr-uri').innerText()).trim();
    assert.match(uri, new RegExp(`^xmpp:alice@${server.domain.replace(/\./g, '\\.')}\\?omemo-sid-\\d+=[0-9a-f]{64}$`));
    const code = manager.getByTestId('own-qr-code');
    const [viewBox, d] = await Promise.all([code.getAttribute('viewBox'), code.locator('path').getAttribute('d')]);
    assert.equal(decodeDrawnQr(viewBox!, d!), uri, 'the drawn code holds the URI');
    // The code shows the same key the row names.
    const row = manager.locator('[data-testid="own-key"]', { has: page.getByTestId('own-qr-code') });
    assert.equal((await row.locator('.fingerprint').innerText()).replace(/\s+/g, ''), uri.split('=')[1]);
    await assertAccessible(page, 'the trust manager with the QR code');
    await page.screenshot({ path: path.join(shots, 'omemo-qr-en.png') });

    // Hanna's code, as her app shows it: the device is verified after the user confirms.
    const { deviceId, curveIdentityKey } = phone.own!;
    await manager.getByTestId('omemo-uri-input').fill(`xmpp:${jid('hanna')}?omemo-sid-${deviceId}=${curveIdentityKey}`);
    await manager.getByTestId('omemo-uri-read').click();
    const device = manager.locator(`[data-testid="xmpp-link-omemo-device"][data-device="${deviceId}"]`);
    await device.waitFor();
    await manager.getByTestId('xmpp-link-omemo-verify').click();
    assert.match(await manager.getByTestId('xmpp-link-omemo-outcome').innerText(), /^1 device of hanna@\S+ verified\.$/);
    await manager.locator(`[data-testid="contact-key"][data-device="${deviceId}"][data-device-state="verified"]`).waitFor();
    await page.screenshot({ path: path.join(shots, 'omemo-uri-verified-en.png') });

    await page.getByTestId('trust-close').click();
    await manager.waitFor({ state: 'detached' });
    await language('de');
    await page.getByTestId('open-trust-manager').click();
    await manager.getByTestId('own-qr-toggle').click();
    assert.match(await manager.getByTestId('own-qr').innerText(), /Lassen Sie Ihren Kontakt diesen Code/);
    await page.screenshot({ path: path.join(shots, 'omemo-qr-de.png') });
    await page.getByTestId('trust-close').click();
    await language('en');
    // The chat says what happened, in the user's words.
    await page.locator('[data-testid="message"][data-direction="notice"]', { hasText: 'You verified hanna' }).waitFor();
    assert.deepEqual(errors, []);
  });
});
