/**
 * No message lost, none shown twice, through the UI: two app instances (development host +
 * Chromium each) and a real Prosody. (1) A message sent while the server is down shows
 * "sending" and arrives once the server is back — exactly once. (2) The sender's app process is
 * killed (SIGKILL) right after sending, before the server acknowledged the message; started again
 * on the same profile, the app sends it again — and the receiver shows it exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { signIn as signInAs } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'e2e-outbox-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('no message is lost', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: Record<'alice' | 'bob', AppInstance> = {} as never;
  const pages: Record<'alice' | 'bob', Page> = {} as never;
  const errors: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  const open = async (user: 'alice' | 'bob') => {
    const { page, errors: seen } = await openAppPage(browser, apps[user].url);
    page.on('close', () => errors.push(...seen.map((e) => `${user}: ${e}`)));
    pages[user] = page;
  };
  const status = (user: 'alice' | 'bob', state: string) =>
    pages[user].locator(`[data-testid="connection-status"][data-state="${state}"]`).waitFor({ timeout: 30_000 });
  const openChat = async (user: 'alice' | 'bob', peer: 'alice' | 'bob') => {
    await pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`).click();
    await pages[user].locator(`[data-testid="chat-view"][data-peer="${jid(peer)}"]`).waitFor();
  };
  const send = async (user: 'alice' | 'bob', text: string) => {
    await pages[user].getByTestId('composer').fill(text);
    await pages[user].getByTestId('composer').press('Enter');
  };
  const ours = (user: 'alice' | 'bob', text: string) => pages[user].locator('[data-testid="message"][data-direction="out"]', { hasText: text });
  const theirs = (user: 'alice' | 'bob', text: string) => pages[user].locator('[data-testid="message"][data-direction="in"]', { hasText: text });
  /** Sends a marker after `text` and waits for it at bob: any copy of `text` would have come before it. */
  const copiesAtBob = async (text: string, marker: string) => {
    await send('alice', marker);
    await theirs('bob', marker).waitFor({ timeout: 30_000 });
    return theirs('bob', text).count();
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
    for (const user of ['alice', 'bob'] as const) {
      apps[user] = await startAppInstance(server.ca.caCertFile);
      await open(user);
      // The dev host's profile has a key file: "remember password" is on, so a restarted app signs in by itself.
      await signInAs(pages[user], { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    }
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
    await openChat('alice', 'bob');
    await openChat('bob', 'alice');
    // A first exchange: the default policy makes the conversation private (what follows must stay private).
    await send('alice', 'Hello Bob');
    await theirs('bob', 'Hello Bob').waitFor();
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) await app.stop();
    await server?.dispose();
  });

  test('a message sent while the server is down arrives once the server is back, exactly once', async () => {
    const text = 'Written while the server was down: 4711';
    await server.stop();
    await status('alice', 'reconnecting');
    await send('alice', text);
    await ours('alice', text).and(pages.alice.locator('[data-state="sending"]')).waitFor();
    await pages.alice.screenshot({ path: path.join(shots, 'outbox-sending.png') });
    await server.start();
    await status('alice', 'online');
    await theirs('bob', text).waitFor({ timeout: 45_000 });
    await ours('alice', text).and(pages.alice.locator(':is([data-state="sent"], [data-state="delivered"])')).waitFor({ timeout: 30_000 });
    assert.equal(await copiesAtBob(text, 'marker one'), 1, 'shown once');
    assert.equal(await ours('alice', text).count(), 1);
    // It was written in a private conversation: it went out privately, never in the clear.
    // Searched with its spaces: digits alone also turn up in random ids and in OTR's base64.
    assert.ok(!(await server.receivedStanzas()).includes(text), 'the server never saw the text');
  });

  test('the sender is killed hard before the server acknowledged: after a restart on the same profile it is delivered once', async () => {
    const text = 'Sent just before the crash: 0815';
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 45_000 });
    server.freeze(); // what alice sends reaches the server's socket, but nothing comes back: no acknowledgement
    try {
      await send('alice', text);
      await ours('alice', text).and(pages.alice.locator('[data-state="sending"]')).waitFor();
      await apps.alice.kill();
    } finally {
      server.thaw();
    }
    await pages.alice.close();
    apps.alice = await startAppInstance(server.ca.caCertFile, undefined, { profileDir: apps.alice.profileDir });
    await open('alice');
    await status('alice', 'online');
    await openChat('alice', 'bob');
    await ours('alice', text).and(pages.alice.locator(':is([data-state="sent"], [data-state="delivered"])')).waitFor({ timeout: 45_000 });
    await theirs('bob', text).waitFor({ timeout: 45_000 });
    assert.equal(await copiesAtBob(text, 'marker two'), 1, 'shown once');
    assert.equal(await ours('alice', text).count(), 1, 'once in the sender\'s chat too');
    assert.ok(!(await server.receivedStanzas()).includes(text), 'the server never saw the text (searched with its spaces, never in base64 or ids)');
    await pages.alice.screenshot({ path: path.join(shots, 'outbox-after-restart.png') });
    await pages.bob.screenshot({ path: path.join(shots, 'outbox-bob.png') });
  });

  test('no errors in the pages', async () => {
    for (const page of Object.values(pages)) await page.close();
    assert.deepEqual(errors, []);
  });
});
