/**
 * Two app instances over a real Prosody, default policy: the conversation
 * goes private by itself once the first messages are exchanged, chats both
 * ways with locks and delivery ticks, and nothing the server stores (archive,
 * offline store, anything under its data directory) or received holds the
 * text of a private message. Screenshots in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, watchForErrors } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-private-Passw0rd';
const shots = path.resolve('test-results/e2e');

/** Every file under Prosody's data directory, as one string. */
async function storedData(dir: string): Promise<{ files: number; text: string }> {
  let text = '';
  let files = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files++;
    text += await fs.readFile(path.join(entry.parentPath, entry.name), 'latin1');
  }
  return { files, text };
}

describe('a private conversation between two app instances', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: AppInstance[] = [];
  const pages: Record<'alice' | 'bob', Page> = {} as never;
  const errors: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] };
  const jid = (user: string) => `${user}@${server.domain}`;

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
    for (const user of ['alice', 'bob'] as const) {
      const app = await startAppInstance(server.ca.caCertFile);
      apps.push(app);
      const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
      errors[user] = watchForErrors(page);
      await page.goto(app.url);
      pages[user] = page;
      await signIn(page, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    }
  });

  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
  });

  const openChat = async (user: 'alice' | 'bob', peer: string) => {
    await pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"][data-show="online"]`).click();
    await pages[user].locator(`[data-testid="chat-view"][data-peer="${jid(peer)}"]`).waitFor();
  };
  const type = async (user: 'alice' | 'bob', text: string) => {
    await pages[user].getByTestId('composer').fill(text);
    await pages[user].getByTestId('composer').press('Enter');
  };
  const message = (user: 'alice' | 'bob', direction: 'in' | 'out', text: string) =>
    pages[user].locator(`[data-testid="message"][data-direction="${direction}"]`).filter({ hasText: text });

  test('it goes private by itself by the second message, and chats both ways', async () => {
    await openChat('alice', 'bob');
    await openChat('bob', 'alice');
    await type('alice', 'Hello Bob, plaintext first');
    await message('bob', 'in', 'Hello Bob, plaintext first').waitFor();
    await type('bob', 'Hi Alice');
    await message('alice', 'in', 'Hi Alice').waitFor();
    // By now the whitespace tag of the first message started the AKE on its own.
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    await pages.bob.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();

    await type('alice', 'SECRET-E2E-ALPHA: the launch is on Friday');
    await message('bob', 'in', 'SECRET-E2E-ALPHA').locator('[aria-label="private"]').waitFor();
    await type('bob', 'SECRET-E2E-BRAVO: understood');
    await message('alice', 'in', 'SECRET-E2E-BRAVO').locator('[aria-label="private"]').waitFor();
    // The peer's app confirmed it decrypted and showed them (XEP-0184).
    await message('alice', 'out', 'SECRET-E2E-ALPHA').locator('[data-testid="message-delivered"]').waitFor();
    await message('bob', 'out', 'SECRET-E2E-BRAVO').locator('[data-testid="message-delivered"]').waitFor();
    assert.equal(await message('alice', 'out', 'SECRET-E2E-ALPHA').locator('[aria-label="private"]').count(), 1);

    // The history setting is there, on by default; turning it off goes through the core and comes back.
    assert.equal(await pages.alice.getByTestId('keep-private-history').isChecked(), true);
    const setting = pages.alice.getByTestId('private-history-setting');
    await pages.alice.screenshot({ path: path.join(shots, 'private-alice.png') });
    await pages.alice.getByTestId('keep-private-history').click();
    await pages.alice.locator('[data-testid="private-history-setting"][data-keep="false"]').waitFor();
    assert.equal(await setting.getByTestId('keep-private-history').isChecked(), false);
    const settings = JSON.parse(await fs.readFile(path.join(apps[0]!.profileDir, 'settings.json'), 'utf8'));
    assert.deepEqual(settings.accounts[0].dropPrivateHistory, [jid('bob')], 'saved in the settings');
    await pages.alice.getByTestId('keep-private-history').click();
    await pages.alice.locator('[data-testid="private-history-setting"][data-keep="true"]').waitFor();

    await pages.bob.screenshot({ path: path.join(shots, 'private-bob.png') });
  });

  test('the contact signs out: what is typed meanwhile waits, says until when, and goes out by itself when they are back', async () => {
    await pages.bob.locator('details.account-menu > summary').click();
    await pages.bob.getByRole('button', { name: 'Disconnect' }).click();
    await pages.bob.locator('[data-testid="connection-status"][data-state="offline"]').waitFor();
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="finished"]').waitFor();

    await type('alice', 'SECRET-E2E-CHARLIE: written while Bob was away');
    const waiting = message('alice', 'out', 'SECRET-E2E-CHARLIE');
    await waiting.locator('[data-testid="message-waiting"]').waitFor();
    assert.match(await waiting.getByTestId('message-waiting').innerText(), /Goes out by itself, encrypted, once the conversation is private again/);
    assert.equal(await waiting.getAttribute('data-state'), 'waiting');
    assert.equal(await waiting.getByTestId('resend-button').count(), 0, 'nothing for the user to do');
    await pages.alice.screenshot({ path: path.join(shots, 'private-waiting.png') });

    await pages.bob.locator('[data-testid="connection-status"]').getByRole('button', { name: 'Connect' }).click();
    await pages.bob.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 30_000 });
    await message('alice', 'out', 'SECRET-E2E-CHARLIE').locator('[data-testid="message-delivered"]').waitFor({ timeout: 30_000 });
    await pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"]`).click();
    await message('bob', 'in', 'SECRET-E2E-CHARLIE').locator('[aria-label="private"]').waitFor();
    assert.equal(await message('bob', 'in', 'SECRET-E2E-CHARLIE').count(), 1);
  });

  test('private messages are kept by default: after a restart they are still in the chat, marked private', async () => {
    const old = apps[0]!;
    await old.kill(); // stop() would remove the profile; the chats are long on disk by now
    await pages.alice.context().close();
    const app = await startAppInstance(server.ca.caCertFile, undefined, { profileDir: old.profileDir });
    apps[0] = app;
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    const earlier = errors.alice;
    errors.alice = watchForErrors(page);
    errors.alice.push(...earlier);
    await page.goto(app.url);
    pages.alice = page;
    // "Remember password" was on at sign-in (the dev host's profile has a key file): it signs in by itself.
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 30_000 });
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    await message('alice', 'in', 'SECRET-E2E-BRAVO').locator('[aria-label="private"]').waitFor();
    await message('alice', 'out', 'SECRET-E2E-ALPHA').locator('[aria-label="private"]').waitFor();
    assert.equal(await message('alice', 'out', 'SECRET-E2E-CHARLIE').count(), 1, 'the message that waited and went out is kept once');
    await page.screenshot({ path: path.join(shots, 'private-history-after-restart.png') });
  });

  test("Prosody's stored data and what it received never hold a private message's text", async () => {
    const stored = await storedData(server.dataDir);
    assert.ok(stored.text.includes('Hello Bob, plaintext first'), "Prosody's archive keeps plaintext chats: the search is real");
    const wire = await server.receivedStanzas();
    assert.ok(wire.includes('Hello Bob, plaintext first'), 'the capture sees plaintext bodies');
    for (const secret of ['SECRET-E2E-ALPHA', 'SECRET-E2E-BRAVO', 'SECRET-E2E-CHARLIE', 'launch is on Friday']) {
      assert.ok(!stored.text.includes(secret), `${secret} is in Prosody's stored data`);
      assert.ok(!wire.includes(secret), `${secret} crossed the server in plaintext`);
    }
  });

  test('no errors in the pages, and nothing private in the hosts output', () => {
    assert.deepEqual(errors.alice, []);
    assert.deepEqual(errors.bob, []);
    for (const app of apps) {
      assert.ok(!app.output().includes(password), 'a password was logged');
      assert.ok(!app.output().includes('SECRET-E2E'), 'a private message was logged');
    }
  });
});
