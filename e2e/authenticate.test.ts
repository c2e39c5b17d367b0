/**
 * Authenticating a contact through the UI, two app instances over a real
 * Prosody: a question answered right (the asker sees the contact verified,
 * also in the trust manager), a wrong answer (failure on both sides, nothing
 * verified), a shared secret (both verified), and a contact's changed key
 * (a warning; nothing is sent until accepted). Screenshots of each dialog
 * land in test-results/e2e/.
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

  async function open(user: User): Promise<void> {
    const app = await startAppInstance(server.ca.caCertFile);
    apps[user] = app;
    const { page: p, errors: seen } = await openAppPage(browser, app.url, { viewport: { width: 1100, height: 760 } });
    errors[user].push(seen);
    pages[user] = p;
    await signIn(p, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    const contact = p.locator(`[data-testid="contact"][data-jid="${jid(other(user))}"]`);
    await contact.click();
  }

  const privacy = (user: User, state: string) => pages[user].locator(`[data-testid="privacy-state"][data-privacy="${state}"]`).waitFor();
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
    await manager.getByTestId('own-key').waitFor();
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

  test('Bob on a new device: Alice is warned, and her message waits until she accepts the key', async () => {
    await apps.bob!.stop();
    outputs.push(apps.bob!.output());
    await pages.bob.context().close();
    await open('bob'); // a fresh profile: a new key for the same account

    const warning = pages.alice.getByTestId('key-warning');
    await warning.waitFor({ timeout: 30_000 });
    assert.match(await warning.innerText(), /key has changed/);
    await pages.alice.getByTestId('composer').fill('HELD-FOR-NEW-KEY');
    await pages.alice.getByTestId('send-button').click();
    await pages.alice.locator('[data-testid="message"][data-direction="out"][data-state="waiting"]').waitFor();
    await shot('alice', 'key-changed-warning');
    assert.equal(await pages.bob.locator('[data-testid="message"][data-direction="in"]').count(), 0, 'nothing reached Bob');

    await warning.getByTestId('key-warning-accept').click();
    await warning.waitFor({ state: 'detached' });
    const got = pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]');
    await got.first().waitFor();
    assert.equal(await got.first().innerText(), 'HELD-FOR-NEW-KEY');
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
