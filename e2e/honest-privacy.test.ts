/**
 * Saying what is private before the user types, over a real Prosody: a plaintext chat says so under
 * the message box, plaintext messages carry an open lock (not just a missing one), a message waiting
 * for the private conversation shows its state and no lock, and a text longer than one message goes
 * out as several, said beforehand. In English and in German, at 800×600; axe finds nothing serious.
 * Bob is a plain XMPP client without OTR, so a private conversation never comes about.
 * Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { XmppSession } from '../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../electron/core/xmpp/stanzas.js';
import { stripWhitespaceTag } from '../electron/core/otr/encoding.js';
import { splitMessage } from '../renderer/forms.js';
import { launchBrowser, watchForErrors } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';
import { assertAccessible } from './support/axe.js';

const password = 'e2e-honest-Passw0rd';
const shots = path.resolve('test-results/e2e');

type StoredSettings = { app?: { waitForPrivate?: boolean } };

/** Resolves once the settings file (written atomically, by rename) says what `ok` wants; the core saves after answering the page. */
async function settingsFileSays(file: string, ok: (stored: StoredSettings) => boolean): Promise<void> {
  const read = async () => ok(JSON.parse(await fs.readFile(file, 'utf8')) as StoredSettings);
  const stop = new AbortController();
  const bound = setTimeout(() => stop.abort(), 15_000); // never hang: fail instead
  try {
    const watcher = fs.watch(path.dirname(file), { signal: stop.signal });
    if (await read()) return;
    for await (const change of watcher) if (change.filename === path.basename(file) && (await read().catch(() => false))) return;
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(bound);
    stop.abort();
  }
  assert.fail(`${file} never said so`);
}

describe('what is private, said before the user types', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[] = [];
  let bob: XmppSession;
  /** Bodies of the chat messages Bob received, in order. */
  const bobGot: string[] = [];
  const bobWakers = new Set<() => void>();
  /** Resolves once Bob has received `count` messages in all. */
  const bobHas = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (bobGot.length < count) return;
        bobWakers.delete(check);
        resolve();
      };
      bobWakers.add(check);
      check();
    });
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    bob = await XmppSession.open({
      local: 'bob',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    bob.on('stanza', (stanza: Element) => {
      const body = stanza.name === 'message' ? stanza.getChildText('body') : null;
      if (body === null) return;
      bobGot.push(body);
      for (const wake of [...bobWakers]) wake();
    });
    bob.start();
    await bob.send(xml('presence'));
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    app = await startAppInstance(server.ca.caCertFile);
    page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
    errors = watchForErrors(page);
    await page.goto(app.url);
    await signIn(page, { jid: jid('alice'), password, host: '127.0.0.1', port: server.c2sPort });
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).click();
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
  });

  after(async () => {
    await bob?.close().catch(() => undefined);
    await browser?.close();
    await app?.stop();
    await server?.dispose();
  });

  const message = (direction: 'in' | 'out', text: string) => page.locator(`[data-testid="message"][data-direction="${direction}"]`).filter({ hasText: text });

  test('a plaintext chat says so where people type, and plaintext messages carry an open lock', async () => {
    const hint = page.getByTestId('composer-not-private');
    await hint.waitFor();
    assert.equal((await hint.innerText()).trim(), '🔓 Not private: the server can read this');
    // Screen readers hear it with the message box.
    const described = await page.getByTestId('composer').getAttribute('aria-describedby');
    assert.equal(await page.locator(`[id="${described}"]`).getAttribute('data-testid'), 'composer-not-private');

    await bob.send(chatMessage(jid('alice'), 'bob-1', 'Hi Alice, plain words from Bob', false));
    await message('in', 'Hi Alice').getByTestId('message-unlocked').waitFor();
    await page.getByTestId('composer').fill('Hello Bob, in plaintext');
    await page.getByTestId('composer').press('Enter');
    // Once the server has it ('sent'): it left unencrypted, and says so.
    await page.locator('[data-testid="message"][data-direction="out"][data-state="sent"]', { hasText: 'Hello Bob, in plaintext' }).getByTestId('message-unlocked').waitFor();
    assert.equal(await message('out', 'Hello Bob').getByTestId('message-lock').count(), 0);
    assert.equal(await message('out', 'Hello Bob').getByTestId('message-unlocked').getAttribute('aria-label'), 'not private');
    await page.screenshot({ path: path.join(shots, 'honest-plaintext-en.png') });
    await assertAccessible(page, 'a plaintext chat');
  });

  test('a text longer than 65,536 characters is announced and goes out as several messages, nothing cut', async () => {
    const long = Array.from({ length: 12_000 }, (_, i) => `w${i}`).join(' ') + ' ' + 'x'.repeat(10) + ' ' + 'y'.repeat(70_000);
    const before = bobGot.length;
    const parts = splitMessage(long).length;
    assert.equal(parts, 3);
    await page.getByTestId('composer').fill(long);
    assert.equal(await page.getByTestId('composer').inputValue(), long, 'the message box keeps all of it');
    const notice = page.getByTestId('composer-too-long');
    await notice.waitFor();
    assert.match(await notice.innerText(), /longer than 65,536 characters: it will be sent as 3 messages/);
    await page.getByTestId('send-button').click();
    await page.locator('[data-testid="composer-too-long"]').waitFor({ state: 'detached' });
    await bobHas(before + 3);
    // The OTR offer (a whitespace tag) rides on each plaintext message until Bob's app turns it down.
    const got = bobGot.slice(before).map(stripWhitespaceTag);
    assert.equal(got.length, 3);
    assert.equal(got.join(''), long, 'all of it, in order');
  });

  test('a message waiting for the private conversation shows its state, never the lock (English and German)', async () => {
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('otr-policy').selectOption('always');
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('composer-not-private').waitFor({ state: 'detached' });
    await page.getByTestId('composer').fill('SECRET waits for privacy');
    await page.getByTestId('composer').press('Enter');
    const waiting = page.locator('[data-testid="message"][data-direction="out"][data-state="waiting"]', { hasText: 'SECRET waits for privacy' });
    await waiting.waitFor();
    assert.equal(await waiting.getByTestId('message-lock').count(), 0, 'no lock, no "Sent privately" on a message that has not left');
    assert.equal(await waiting.getByTestId('message-unlocked').count(), 0);
    assert.match(await waiting.innerText(), /Waiting for the private conversation/);
    await page.screenshot({ path: path.join(shots, 'honest-waiting-en.png') });
    await assertAccessible(page, 'a waiting message');
    assert.ok(!bobGot.some((b) => b.includes('SECRET waits')), 'never sent in plaintext');

    // German: the same, in the user's words.
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-language').selectOption('de');
    await page.getByTestId('settings-dialog').getByRole('heading', { name: 'Einstellungen' }).waitFor();
    await page.getByTestId('settings-close').click();
    await waiting.filter({ hasText: 'Wartet auf die private Unterhaltung' }).waitFor();
    assert.equal(await waiting.getByTestId('message-lock').count(), 0);
    // The plaintext message above it (the end of the long text) says so in German.
    assert.equal(await page.locator('[data-testid="message"][data-state="sent"] [data-testid="message-unlocked"]').last().getAttribute('aria-label'), 'nicht privat');
    await page.screenshot({ path: path.join(shots, 'honest-waiting-de.png') });
    await assertAccessible(page, 'a waiting message, in German');
  });

  test('the setting "wait for a private conversation before the first message" is on the settings screen, in German too', async () => {
    await page.keyboard.press('Control+Comma');
    const box = page.getByTestId('settings-wait-for-private');
    assert.equal(await box.isChecked(), false, 'off by default');
    await box.check();
    await page.locator('[data-testid="settings-wait-for-private"]:checked').waitFor();
    await settingsFileSays(path.join(app.profileDir, 'settings.json'), (stored) => stored.app?.waitForPrivate === true); // kept in the profile
    assert.match(await page.getByTestId('settings-dialog').innerText(), /Vor der ersten Nachricht auf ein privates Gespräch warten/);
    await page.screenshot({ path: path.join(shots, 'honest-setting-de.png') });
    await assertAccessible(page, 'the settings screen with the new option, in German');
    await page.getByTestId('settings-close').click();

    // Back to the default policy: the chat is plaintext again, and says so in German where people type.
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('otr-policy').selectOption('');
    await page.getByTestId('privacy-state').click();
    const hint = page.getByTestId('composer-not-private');
    await hint.waitFor();
    assert.equal((await hint.innerText()).trim(), '🔓 Nicht privat: Der Server kann dies lesen');
    await page.screenshot({ path: path.join(shots, 'honest-plaintext-de.png') });
    await assertAccessible(page, 'a plaintext chat, in German');
    assert.deepEqual(errors, []);
  });
});
