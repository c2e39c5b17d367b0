/**
 * A message the server acknowledged and then lost, through the UI: two app instances (development
 * host + Chromium each), plaintext by the administrator's policy, and a Prosody whose test module
 * drops the message after taking it. Once bob's app confirmed a later message (and the grace for
 * receipts on their way passed, 30 s), alice's message shows "not confirmed" with why and "Send
 * again"; sent again, bob shows it once and alice sees it delivered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { signIn as signInAs } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { usersWith } from '../tests/fixtures/xmpp-server.js';

const password = 'e2e-unconfirmed-Passw0rd';
const shots = path.resolve('test-results/e2e');
/** The app's own grace (receipts/unconfirmed.ts) and then some: the mark shows after it. */
const MARK_TIMEOUT_MS = 60_000;

describe('a message the server lost shows as not confirmed', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let dir: string;
  const apps: Record<'alice' | 'bob', AppInstance> = {} as never;
  const pages: Record<'alice' | 'bob', Page> = {} as never;
  const errors: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  const send = async (user: 'alice' | 'bob', text: string) => {
    await pages[user].getByTestId('composer').fill(text);
    await pages[user].getByTestId('composer').press('Enter');
  };
  const ours = (user: 'alice' | 'bob', text: string) => pages[user].locator('[data-testid="message"][data-direction="out"]', { hasText: text });
  const theirs = (user: 'alice' | 'bob', text: string) => pages[user].locator('[data-testid="message"][data-direction="in"]', { hasText: text });

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']], dropping: true });
    browser = await launchBrowser();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-unconfirmed-e2e-'));
    await fs.mkdir(shots, { recursive: true });
    // Plaintext: private OTR messages go again by themselves and are never marked.
    const policyFile = path.join(dir, 'policy.json');
    await fs.writeFile(policyFile, JSON.stringify({ otrPolicy: 'never' }));
    for (const user of ['alice', 'bob'] as const) {
      apps[user] = await startAppInstance(server.ca.caCertFile, undefined, { policyFile });
      const { page, errors: seen } = await openAppPage(browser, apps[user].url);
      page.on('close', () => errors.push(...seen.map((e) => `${user}: ${e}`)));
      pages[user] = page;
      await signInAs(page, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    }
    for (const [user, peer] of [['alice', 'bob'], ['bob', 'alice']] as const) {
      await pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"][data-show="online"]`).waitFor();
      await pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`).click();
      await pages[user].locator(`[data-testid="chat-view"][data-peer="${jid(peer)}"]`).waitFor();
    }
  });

  after(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) await app.stop();
    await server?.dispose();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('lost after the server took it: "not confirmed" with Send again; sent again, shown once and delivered', async () => {
    const lost = 'Lost on the way: 2718';
    const later = 'Sent after it: 3141';
    await server.dropMessages(lost);
    await send('alice', lost);
    await ours('alice', lost).and(pages.alice.locator('[data-state="sent"]')).waitFor({ timeout: 30_000 });
    await send('alice', later);
    await theirs('bob', later).waitFor({ timeout: 30_000 });
    await ours('alice', later).and(pages.alice.locator('[data-state="delivered"]')).waitFor({ timeout: 30_000 });

    const row = ours('alice', lost);
    await row.getByTestId('message-unconfirmed').waitFor({ timeout: MARK_TIMEOUT_MS });
    assert.equal(await row.getAttribute('data-state'), 'sent', 'the server took it: not "not sent"');
    assert.match(await row.getByTestId('message-unconfirmed').innerText(), /confirmed later messages, but not this one/);
    await pages.alice.screenshot({ path: path.join(shots, 'unconfirmed.png') });
    assert.equal(await theirs('bob', lost).count(), 0, 'bob never got it');

    await server.dropMessages();
    await row.getByTestId('resend-button').click();
    await ours('alice', lost).and(pages.alice.locator('[data-state="delivered"]')).waitFor({ timeout: 30_000 });
    assert.equal(await row.getByTestId('message-unconfirmed').count(), 0, 'the mark went with the receipt');
    await theirs('bob', lost).waitFor();
    // A marker after it: any second copy would have come before.
    await send('alice', 'marker after the resend');
    await theirs('bob', 'marker after the resend').waitFor({ timeout: 30_000 });
    assert.equal(await theirs('bob', lost).count(), 1, 'shown once');
  });

  test('no errors in the pages', async () => {
    for (const page of Object.values(pages)) await page.close();
    assert.deepEqual(errors, []);
  });
});
