/**
 * Klatsch (the UI in Chromium, over a real Prosody) in a private conversation
 * with a libotr 4.1 user: the C test peer behind a plain XMPP connection
 * (tests/fixtures/libotr-xmpp-peer.ts). Both directions, and long messages
 * fragmented on both sides: libotr with a small fragment size, Klatsch at its
 * 60,000-character limit. Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { startLibotrXmppPeer, type LibotrXmppPeer } from '../tests/fixtures/libotr-xmpp-peer.js';
import { launchBrowser, watchForErrors } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-libotr-Passw0rd';
const shots = path.resolve('test-results/e2e');
/** libotr's max_message_size here: a 20 KB message becomes ~20 fragments. */
const LIBOTR_FRAGMENT = 1_500;

/** A long text that is easy to compare and not just one repeated character. */
function longText(tag: string, length: number): string {
  let text = `${tag} `;
  for (let i = 0; text.length < length; i++) text += `${i.toString(36)}-${tag.toLowerCase()} `;
  return text.slice(0, length);
}

describe('a private conversation with a libotr user over XMPP', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let pageErrors: string[];
  let carol: LibotrXmppPeer;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'carol', password },
      ],
      contacts: [['alice', 'carol']],
    });
    carol = await startLibotrXmppPeer({
      local: 'carol',
      domain: server.domain,
      password,
      host: '127.0.0.1',
      port: server.c2sPort,
      caPem: server.ca.caCertPem,
      maxFragment: LIBOTR_FRAGMENT,
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    app = await startAppInstance(server.ca.caCertFile);
    page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    pageErrors = watchForErrors(page);
    await page.goto(app.url);
    await signIn(page, { jid: jid('alice'), password, host: '127.0.0.1', port: server.c2sPort });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await carol?.close();
    await server?.dispose();
  });

  const incoming = (text: string) => page.locator('[data-testid="message"][data-direction="in"]').filter({ hasText: text });

  test('Klatsch starts a private conversation with libotr from the chat header', async () => {
    await page.locator(`[data-testid="contact"][data-jid="${jid('carol')}"][data-show="online"]`).click();
    await page.getByTestId('privacy-state').click(); // the privacy menu in the chat header
    await page.getByTestId('start-private').click();
    await page.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    await carol.waitForEvent(/^gone_secure /);
    assert.equal((await carol.otr.state(jid('alice'))).msgstate, 'encrypted');
  });

  test('short messages both ways', async () => {
    await carol.send(jid('alice'), 'Hello from libotr 🦉');
    await incoming('Hello from libotr 🦉').locator('[aria-label="private"]').waitFor();
    await page.getByTestId('composer').fill('Hi libotr, Klatsch here');
    await page.getByTestId('composer').press('Enter');
    assert.equal(await carol.waitForDisplay((t) => t === 'Hi libotr, Klatsch here'), 'Hi libotr, Klatsch here');
  });

  test('a 20 KB message fragmented by libotr arrives whole', async () => {
    const text = longText('FROM-LIBOTR', 20_000);
    const fragments = await carol.send(jid('alice'), text);
    assert.ok(fragments >= 10, `libotr sent ${fragments} fragments`);
    const shown = incoming('FROM-LIBOTR');
    await shown.locator('[aria-label="private"]').waitFor();
    assert.equal(await shown.getByTestId('message-body').innerText(), text);
  });

  test('a 62,000-character message fragmented by Klatsch arrives whole at libotr', async () => {
    const text = longText('FROM-KLATSCH', 62_000);
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
    const got = await carol.waitForDisplay((t) => t.startsWith('FROM-KLATSCH'), 30_000);
    assert.equal(got.length, text.length);
    assert.equal(got, text);
    // Klatsch's OTR messages are at most 60,000 characters: the long one went out in pieces.
    const wire = (await server.receivedStanzas()).split('\n');
    const fragments = wire.filter((line) => /<body>\?OTR\|[0-9a-f]+\|[0-9a-f]+,\d{5},\d{5},/i.test(line));
    assert.ok(fragments.length >= 2, `${fragments.length} fragments on the wire`);
    await page.locator('[data-testid="message"][data-direction="out"]').filter({ hasText: 'FROM-KLATSCH' }).locator('[aria-label="private"]').waitFor();
    await page.screenshot({ path: path.join(shots, 'libotr-alice.png') });
  });

  test('nothing of it crossed the server in plaintext; no errors', async () => {
    const wire = await server.receivedStanzas();
    for (const secret of ['Hello from libotr', 'Hi libotr', 'FROM-LIBOTR', 'FROM-KLATSCH']) {
      assert.ok(!wire.includes(secret), `${secret} crossed the server in plaintext`);
    }
    assert.deepEqual(carol.errors, []);
    assert.deepEqual(pageErrors, []);
    assert.ok(!carol.otr.events.some((e) => /UNREADABLE|MALFORMED|GENERAL_ERR/.test(e)), 'libotr reported a problem');
  });
});
