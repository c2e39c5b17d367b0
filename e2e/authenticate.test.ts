/**
 * Authenticating a contact through the UI, two app instances over a real
 * Prosody: a question answered right (the asker sees the contact verified,
 * also in the trust manager), a wrong answer (failure on both sides, nothing
 * verified), a shared secret (both verified), verifying a key in the trust
 * manager (only after comparing the fingerprints and saying so; the chat logs
 * it), and a contact's changed key (a warning, no old "verified" beside it;
 * nothing is sent until the key is accepted, which is asked once more and
 * logged). Alice uses the app in German in an 800×600 window. Screenshots of
 * each dialog land in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { signIn } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'e2e-auth-Passw0rd';
const shots = path.resolve('test-results/e2e');
type User = 'alice' | 'bob';

describe('authenticating a contact through the UI', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: Partial<Record<User, AppInstance>> = {};
  const pages: Record<User, Page> = {} as never;
  /** Console errors and crashes of every page each user had. */
  const errors: Record<User, string[][]> = { alice: [], bob: [] };
  const secrets = ['Pizzeria Ü', 'wrong answer', 'blue-whale-42', 'HELD-FOR-NEW-KEY'];
  const outputs: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const other = (user: User): User => (user === 'alice' ? 'bob' : 'alice');

  /** Alice: German, in the smallest window the app is made for; Bob: English, a roomy one. */
  const looks = {
    alice: { viewport: { width: 800, height: 600 }, locale: 'de-DE' },
    bob: { viewport: { width: 1100, height: 760 }, locale: 'en-US' },
  };

  async function open(user: User): Promise<void> {
    const app = await startAppInstance(server.ca.caCertFile);
    apps[user] = app;
    const { page: p, errors: seen } = await openAppPage(browser, app.url, looks[user]);
    errors[user].push(seen);
    pages[user] = p;
    await signIn(p, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    const contact = p.locator(`[data-testid="contact"][data-jid="${jid(other(user))}"]`);
    await contact.click();
  }

  const privacy = (user: User, state: string) => pages[user].locator(`[data-testid="privacy-state"][data-privacy="${state}"]`).waitFor();
  /** The lock on the contact in the roster says the same as the header. */
  const rosterPrivacy = (user: User, state: string) =>
    pages[user].locator(`[data-testid="contact"][data-jid="${jid(other(user))}"] [data-testid="contact-private"].privacy-${state}`).waitFor();
  /** A notice in the open chat whose text matches. */
  const notice = (user: User, text: RegExp) =>
    pages[user].locator('[data-testid="message"][data-direction="notice"] [data-testid="message-body"]', { hasText: text }).last().waitFor();
  /** The whole of `testId` is inside the window (nothing to scroll to, nothing cut off). */
  async function fits(user: User, testId: string): Promise<void> {
    const box = await pages[user].getByTestId(testId).boundingBox();
    const size = pages[user].viewportSize()!;
    assert.ok(box, `${testId} is shown`);
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height, `${testId} fits ${size.width}×${size.height}: ${JSON.stringify(box)}`);
  }
  const result = (user: User, kind: string) => pages[user].locator(`[data-testid="smp-result"][data-result="${kind}"]`).waitFor();
  const shot = (user: User, name: string) => pages[user].screenshot({ path: path.join(shots, `${name}.png`) });

  async function menu(user: User, item: string): Promise<void> {
    await pages[user].getByTestId('privacy-state').click();
    await pages[user].getByTestId(item).click();
  }

  async function ask(user: User, question: string, answer: string): Promise<void> {
    await menu(user, 'authenticate');
    const dialog = pages[user].getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-question').click();
    await dialog.getByTestId('auth-question').fill(question);
    await dialog.getByTestId('auth-answer').fill(answer);
    await dialog.getByTestId('auth-submit').click();
    await dialog.waitFor({ state: 'detached' });
  }

  async function answer(user: User, text: string): Promise<void> {
    const request = pages[user].getByTestId('smp-request');
    await request.waitFor();
    await request.getByTestId('smp-answer').fill(text);
    await request.getByTestId('smp-answer-submit').click();
  }

  const dismiss = async (user: User) => {
    await pages[user].getByTestId('smp-dismiss').click();
    await pages[user].getByTestId('smp-result').waitFor({ state: 'detached' });
  };

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    await open('alice');
    await open('bob');
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
    await menu('alice', 'start-private');
    await privacy('alice', 'private');
    await privacy('bob', 'private');
  });

  after(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) {
      outputs.push(app.output());
      await app.stop();
    }
    await server?.dispose();
  });

  test('a question answered right: Alice sees Bob verified; Bob is told he is not verifying her', async () => {
    await ask('alice', 'Where did we eat on Friday?', 'Pizzeria Ü');
    await pages.alice.getByTestId('smp-running').waitFor();
    await pages.bob.getByTestId('smp-question').waitFor();
    assert.equal(await pages.bob.getByTestId('smp-question').innerText(), 'Where did we eat on Friday?');
    const attention = pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"] [data-testid="contact-attention"]`);
    assert.match(await attention.innerText(), /Wants to authenticate you/, 'the roster says so too');
    await pages.bob.getByTestId('smp-answer').fill('Pizzeria Ü');
    await shot('bob', 'smp-request');
    await pages.bob.getByTestId('smp-answer-submit').click();

    await result('alice', 'verified');
    await privacy('alice', 'private-verified');
    await result('bob', 'verified-by-them');
    await pages.bob.getByTestId('smp-ask-back').waitFor();
    await privacy('bob', 'private');
    await shot('alice', 'smp-verified');
    await shot('bob', 'smp-verified-by-them');

    await pages.alice.getByTestId('open-trust-manager').click();
    const manager = pages.alice.getByTestId('trust-manager');
    await manager.locator(`[data-testid="contact-key"][data-peer="${jid('bob')}"][data-trust="verified-smp"]`).waitFor();
    await manager.locator('[data-testid="own-key"][data-scheme="otr"]').waitFor();
    await shot('alice', 'trust-manager');
    await manager.getByTestId('trust-close').click();
    await dismiss('alice');
    await dismiss('bob');
  });

  test('a wrong answer fails on both sides and verifies nobody', async () => {
    await ask('alice', 'Our project’s name?', 'Klatsch');
    await answer('bob', 'wrong answer');
    await result('alice', 'failed');
    await result('bob', 'failed');
    await privacy('alice', 'private');
    await shot('alice', 'smp-failed');
    await pages.alice.getByTestId('open-trust-manager').click();
    await pages.alice.locator(`[data-testid="contact-key"][data-peer="${jid('bob')}"][data-trust="unverified"]`).waitFor();
    await pages.alice.getByTestId('trust-close').click();
    await dismiss('alice');
    await dismiss('bob');
  });

  test('a shared secret verifies both', async () => {
    await menu('bob', 'authenticate');
    const dialog = pages.bob.getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-secret').click();
    await dialog.getByTestId('auth-secret').fill('blue-whale-42');
    await shot('bob', 'auth-dialog-secret');
    await dialog.getByTestId('auth-submit').click();
    await answer('alice', 'blue-whale-42');
    await result('alice', 'verified');
    await result('bob', 'verified');
    await privacy('alice', 'private-verified');
    await privacy('bob', 'private-verified');
    await dismiss('alice');
    await dismiss('bob');
  });

  test('the fingerprints dialog shows both keys side by side', async () => {
    await menu('alice', 'authenticate');
    const dialog = pages.alice.getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-fingerprint').click();
    const theirs = await dialog.getByTestId('auth-their-fingerprint').innerText();
    const own = await dialog.getByTestId('auth-own-fingerprint').innerText();
    assert.match(theirs, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    assert.match(own, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    assert.notEqual(own, theirs);
    assert.equal(await dialog.getByTestId('auth-manual-verified').isChecked(), true, 'Bob is verified already');
    await shot('alice', 'auth-dialog-fingerprints');
    await dialog.getByTestId('auth-cancel').click();
  });

  test('Verify in the trust manager: fingerprints compared and confirmed first, logged in the chat; forgetting a verified key asks', async () => {
    const page = pages.alice;
    await page.getByTestId('open-trust-manager').click();
    const manager = page.getByTestId('trust-manager');
    const row = (trust: string) => manager.locator(`[data-testid="contact-key"][data-peer="${jid('bob')}"][data-trust="${trust}"]`);
    // Verified by the shared secret: taking that back needs no proof; header and roster follow.
    await row('verified-smp').getByTestId('key-unverify').click();
    await row('unverified').waitFor();
    await privacy('alice', 'private');
    await rosterPrivacy('alice', 'private');

    await fits('alice', 'key-verify');
    assert.ok(await manager.evaluate((d) => d.scrollWidth <= d.clientWidth), 'the key table fits without scrolling sideways');
    await shot('alice', 'trust-manager-small');
    // Verify opens the comparison; nothing is verified by the click itself.
    await row('unverified').getByTestId('key-verify').click();
    const dialog = page.getByTestId('verify-key-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('auth-their-fingerprint').innerText(), await row('unverified').locator('.fingerprint').innerText());
    assert.equal(await dialog.getByTestId('auth-own-fingerprint').innerText(), await manager.locator('[data-testid="own-key"][data-scheme="otr"]').locator('.fingerprint').innerText());
    const confirm = dialog.getByTestId('verify-key-confirm');
    assert.equal(await confirm.isDisabled(), true, 'not before the user says they compared them');
    assert.equal(await row('unverified').count(), 1, 'opening the comparison verified nothing');
    await fits('alice', 'verify-key-dialog');
    await shot('alice', 'trust-verify-compare');
    await dialog.getByTestId('auth-manual-verified').check();
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    await row('verified-manual').waitFor();
    await privacy('alice', 'private-verified');
    await rosterPrivacy('alice', 'private-verified');

    // Forgetting a verified key asks first; cancelled, the key stays verified.
    await row('verified-manual').getByTestId('key-forget').click();
    const ask = page.getByTestId('forget-key-confirm');
    await ask.waitFor();
    await fits('alice', 'forget-key-confirm');
    await shot('alice', 'trust-forget-confirm');
    await ask.getByTestId('confirm-cancel').click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(await row('verified-manual').count(), 1, 'nothing was forgotten');
    await manager.getByTestId('trust-close').click();

    // The chat says both, so that its log never contradicts the header.
    await notice('alice', /als nicht verifiziert markiert/);
    await notice('alice', /durch Vergleich der Fingerabdrücke verifiziert/);
  });

  test('Bob on a new device: Alice is warned, and her message waits until she accepts the key', async () => {
    // Alice has just verified Bob by a shared secret and left the result open.
    await menu('alice', 'authenticate');
    const auth = pages.alice.getByTestId('auth-dialog');
    await auth.getByTestId('auth-method-secret').click();
    await auth.getByTestId('auth-secret').fill('blue-whale-42');
    await auth.getByTestId('auth-submit').click();
    await answer('bob', 'blue-whale-42');
    await result('alice', 'verified');
    const verifiedBanner = pages.alice.locator('[data-testid="smp-result"][data-result="verified"]');

    await apps.bob!.stop();
    outputs.push(apps.bob!.output());
    await pages.bob.context().close();
    await open('bob'); // a fresh profile: a new key for the same account
    // Nothing asks Bob's new device for a private conversation by itself (libotr's opportunistic rule): Alice does.
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor({ timeout: 30_000 });
    await menu('alice', 'start-private');

    const warning = pages.alice.getByTestId('key-warning');
    await warning.waitFor({ timeout: 30_000 });
    assert.match(await warning.innerText(), /hat sich geändert/);
    // One state everywhere: not verified in the header and the roster, and no old "verified" under the warning.
    await privacy('alice', 'private');
    await rosterPrivacy('alice', 'private');
    assert.equal(await verifiedBanner.count(), 0, 'the old "is verified" banner is gone');
    await pages.alice.getByTestId('composer').fill('HELD-FOR-NEW-KEY');
    await pages.alice.getByTestId('send-button').click();
    await pages.alice.locator('[data-testid="message"][data-direction="out"][data-state="waiting"]').waitFor();
    await shot('alice', 'key-changed-warning');
    assert.equal(await pages.bob.locator('[data-testid="message"][data-direction="in"]').count(), 0, 'nothing reached Bob');

    // Accepting is asked once more, and logged.
    await warning.getByTestId('key-warning-accept').click();
    const ask = pages.alice.getByTestId('accept-key-confirm');
    await ask.waitFor();
    await fits('alice', 'accept-key-confirm');
    await shot('alice', 'key-accept-confirm');
    assert.equal(await warning.count(), 1, 'not accepted by the first click');
    await ask.getByTestId('confirm-ok').click();
    await warning.waitFor({ state: 'detached' });
    await notice('alice', /angenommen, ohne ihn zu verifizieren/);
    await privacy('alice', 'private');
    await rosterPrivacy('alice', 'private');
    assert.equal(await verifiedBanner.count(), 0, 'still no "is verified" while the header says not verified');
    await shot('alice', 'key-accepted');
    const got = pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]');
    await got.first().waitFor();
    assert.equal(await got.first().innerText(), 'HELD-FOR-NEW-KEY');
  });

  test('Alice’s own connection ends: her chat says she went offline, and Bob’s presence is unknown, not offline', async () => {
    const page = pages.alice;
    const peerOffline = page.locator('[data-testid="message"][data-direction="notice"] [data-testid="message-body"]', { hasText: /^bob@.* ist offline gegangen/ });
    const before = await peerOffline.count();
    await page.locator('details.account-menu > summary').click();
    await page.getByRole('button', { name: 'Trennen', exact: true }).click();
    await notice('alice', /^Sie sind offline gegangen; die private Unterhaltung ist beendet\.$/);
    await page.locator('[data-testid="chat-presence"][data-show="unknown"]').waitFor();
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="unknown"]`).waitFor();
    assert.match(await page.getByTestId('chat-presence').innerText(), /Unbekannt/);
    assert.equal(await peerOffline.count(), before, 'Bob did not go offline: Alice did');
    await shot('alice', 'own-offline');
  });

  test('no errors in the pages, and no password or secret in the hosts’ output', () => {
    assert.deepEqual(errors.alice.flat(), []);
    assert.deepEqual(errors.bob.flat(), []);
    for (const app of Object.values(apps)) outputs.push(app.output());
    for (const text of outputs) {
      assert.ok(!text.includes(password), 'a password was logged');
      for (const secret of secrets) assert.ok(!text.includes(secret), `"${secret}" was logged`);
    }
  });
});
