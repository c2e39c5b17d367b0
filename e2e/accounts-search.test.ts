/**
 * Several accounts, history search and links, end to end: one app with two
 * accounts side by side (alice and carol), a contact in each (bob, dave: a
 * second core in this process, over the same Prosody); the roster shows whose
 * contact is whose; chats from both; a search finds a message in another chat
 * and opens it there; a link asks first and, confirmed, reaches the dev host's
 * record of opened links — cancelled, it does not. axe on each new screen.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AccountView } from '../shared/contract.js';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { startTestCore, type TestCore } from '../tests/fixtures/core.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';
import { assertAccessible } from './support/axe.js';

const password = 'e2e-accounts-Passw0rd';
const shots = path.resolve('test-results/e2e');

declare const document: { activeElement: { getAttribute(name: string): string | null } | null };

describe('two accounts side by side, search and links', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[];
  let others: TestCore;
  const accounts: Record<string, AccountView> = {};
  const jid = (user: string) => `${user}@${server.domain}`;
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `accounts-search-${name}.png`) });
  const accountRoster = (user: string) => page.locator(`[data-testid="account-roster"][data-account-jid="${jid(user)}"]`);
  const contactIn = (user: string, peer: string) => accountRoster(user).locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`);
  const openedLinks = async () => {
    try {
      return (await fs.readFile(path.join(app.profileDir, 'opened-links.txt'), 'utf8')).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const fromOther = (user: 'bob' | 'dave', to: string, body: string) =>
    others.call('sendMessage', { accountId: accounts[user]!.id, to: jid(to), body });

  before(async () => {
    server = await startProsody({
      users: ['alice', 'carol', 'bob', 'dave'].map((username) => ({ username, password })),
      contacts: [
        ['alice', 'bob'],
        ['carol', 'dave'],
      ],
    });
    others = await startTestCore({ caPem: server.ca.caCertPem });
    for (const user of ['bob', 'dave']) {
      accounts[user] = await others.call('addAccount', { jid: jid(user), password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort });
      // Plaintext, so that the messages are searchable without keeping private ones.
      await others.call('setOtrPolicy', { accountId: accounts[user]!.id, peer: jid(user === 'bob' ? 'alice' : 'carol'), policy: 'never' });
    }
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    app = await startAppInstance(server.ca.caCertFile);
    ({ page, errors } = await openAppPage(browser, app.url));
    await page.getByTestId('login-jid').waitFor();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await others?.dispose();
    await server?.dispose();
  });

  test('a second account is added from the main screen; both show their state and their contacts', async () => {
    await signIn(page, { jid: jid('alice'), password, host: '127.0.0.1', port: server.c2sPort });
    await page.locator('details.account-menu > summary').click();
    await page.getByTestId('accounts-add').click();
    await signIn(page, { jid: jid('carol'), password, host: '127.0.0.1', port: server.c2sPort });

    const switches = page.getByTestId('account-switch');
    await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('alice')}"][data-state="online"]`).waitFor();
    await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('carol')}"][data-state="online"]`).waitFor();
    assert.equal(await switches.count(), 2);
    assert.equal(await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('carol')}"]`).getAttribute('aria-pressed'), 'true', 'the new account is in front');

    // One roster, a part per account, each saying whose it is.
    await contactIn('alice', 'bob').waitFor();
    await contactIn('carol', 'dave').waitFor();
    assert.equal(await accountRoster('alice').locator('[data-testid="contact"]').count(), 1);
    assert.equal(await accountRoster('carol').locator('[data-testid="contact"]').count(), 1);
    assert.match(await accountRoster('alice').locator('h2').innerText(), new RegExp(jid('alice').replace(/\./g, '\\.')), 'the part says whose contacts');
    await contactIn('alice', 'bob').and(page.locator('[data-show="online"]')).waitFor();
    await contactIn('carol', 'dave').and(page.locator('[data-show="online"]')).waitFor();
    await shot('two-accounts');
    await assertAccessible(page, 'the main screen with two accounts');
  });

  test('the account switch brings the other account to the front', async () => {
    await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('alice')}"]`).click();
    assert.equal(await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('alice')}"]`).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('carol')}"]`).getAttribute('aria-pressed'), 'false');
  });

  test('chats from both accounts reach their contacts, and answers come back to the right account', async () => {
    await contactIn('alice', 'bob').click();
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    await page.getByTestId('composer').fill('Hello Bob, this is Alice');
    await page.getByTestId('composer').press('Enter');
    await others.waitFor('messageUpserted', (e) => e.accountId === accounts.bob!.id && e.message.body === 'Hello Bob, this is Alice');

    await contactIn('carol', 'dave').click();
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('dave')}"]`).waitFor();
    assert.equal(await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('carol')}"]`).getAttribute('aria-pressed'), 'true', "the chat's account comes to the front");
    await page.getByTestId('composer').fill('Hello Dave, this is Carol');
    await page.getByTestId('composer').press('Enter');
    await others.waitFor('messageUpserted', (e) => e.accountId === accounts.dave!.id && e.message.body === 'Hello Dave, this is Carol');

    await fromOther('bob', 'alice', 'The QUARTERLY Überblick is ready for you');
    await contactIn('alice', 'bob').getByTestId('unread-badge').waitFor();
    assert.equal(await contactIn('carol', 'dave').getByTestId('unread-badge').count(), 0, "Bob's message is not Dave's");
  });

  test('search finds a message in another chat (any case, no accents) and opens it there, highlighted', async () => {
    await page.locator('body').focus();
    await page.keyboard.press('Control+Shift+F');
    const dialog = page.getByTestId('search-dialog');
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'search-input');
    await page.keyboard.type('quarterly uberblick');
    const group = dialog.locator(`[data-testid="search-group"][data-peer="${jid('bob')}"]`);
    await group.waitFor();
    assert.equal(await dialog.getByTestId('search-result').count(), 1);
    assert.match(await group.innerText(), new RegExp(jid('alice').replace(/\./g, '\\.')), 'the result says which account');
    assert.deepEqual(await group.locator('mark').allInnerTexts(), ['QUARTERLY', 'Überblick']);
    await shot('search');
    await assertAccessible(page, 'the search dialog with results');

    const result = group.getByTestId('search-result');
    const id = await result.getAttribute('data-message-id');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'search-result');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    const focused = page.locator(`[data-testid="message"][data-message-id="${id}"][data-focused="true"]`);
    await focused.waitFor();
    assert.match(await focused.innerText(), /QUARTERLY Überblick/);
    assert.equal(await page.locator(`[data-testid="account-switch"][data-account-jid="${jid('alice')}"]`).getAttribute('aria-pressed'), 'true');
    await contactIn('alice', 'bob').getByTestId('unread-badge').waitFor({ state: 'detached' });

    // Nothing found is said as such.
    await page.getByTestId('open-search').click();
    await page.getByTestId('search-input').fill('zebra crossing');
    await page.getByTestId('search-status').getByText('zebra crossing').waitFor();
    assert.equal(await page.getByTestId('search-result').count(), 0);
    await page.keyboard.press('Escape');
    await page.getByTestId('search-dialog').waitFor({ state: 'detached' });
  });

  test('a link asks first: cancelled nothing opens, confirmed the dev host records it; lookalikes and hidden hosts show', async () => {
    await fromOther('dave', 'carol', 'Menu: https://bücher.example/karte?tag=1. Or log in at https://intranet.example@bank.example/login');
    await contactIn('carol', 'dave').click();
    const message = page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Menu:' });
    await message.waitFor();
    const links = message.getByTestId('message-link');
    assert.deepEqual(await links.allInnerTexts(), ['https://bücher.example/karte?tag=1', 'https://intranet.example@bank.example/login']);
    assert.equal(await message.locator('a, script, img').count(), 0, 'nothing in a message is markup');

    await links.nth(0).click();
    const dialog = page.getByTestId('link-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('link-address').innerText(), 'https://xn--bcher-kva.example/karte?tag=1');
    assert.equal(await dialog.getByTestId('link-host').innerText(), 'xn--bcher-kva.example');
    await dialog.getByTestId('link-international').waitFor();
    await shot('link-confirm');
    await assertAccessible(page, 'the link confirmation');
    await dialog.getByTestId('link-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(await openedLinks(), [], 'cancelled: nothing opened');

    await links.nth(0).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(await openedLinks(), [], 'Escape: nothing opened');

    await links.nth(0).click();
    await dialog.getByTestId('link-open').click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(await openedLinks(), ['https://xn--bcher-kva.example/karte?tag=1']);

    await links.nth(1).click();
    await dialog.waitFor();
    assert.match(await dialog.getByTestId('link-refused').innerText(), /intranet\.example[\s\S]*bank\.example/);
    assert.equal(await dialog.getByTestId('link-host').innerText(), 'bank.example');
    assert.equal(await dialog.getByTestId('link-open').count(), 0, 'a link hiding its host cannot be opened');
    await assertAccessible(page, 'the refused link');
    await dialog.getByTestId('link-cancel').click();
    assert.deepEqual(await openedLinks(), ['https://xn--bcher-kva.example/karte?tag=1']);
  });

  test('the contact dialogs and the trust manager work per account, and pass axe', async () => {
    await page.locator('body').focus();
    await page.keyboard.press('Control+N');
    const add = page.getByTestId('add-contact-dialog');
    await add.waitFor();
    await assertAccessible(page, 'the add-contact dialog with two accounts');
    await page.keyboard.press('Escape');
    await add.waitFor({ state: 'detached' });

    await contactIn('alice', 'bob').hover();
    await accountRoster('alice').locator('.contact-row', { has: page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`) }).getByTestId('edit-contact').click();
    const edit = page.getByTestId('edit-contact-dialog');
    await edit.waitFor();
    assert.match(await edit.innerText(), new RegExp(jid('bob').replace(/\./g, '\\.')));
    await assertAccessible(page, 'the edit-contact dialog with two accounts');
    await page.keyboard.press('Escape');
    await edit.waitFor({ state: 'detached' });

    await page.getByTestId('open-trust-manager').click();
    const trust = page.getByTestId('trust-manager');
    await trust.waitFor();
    // Each account's own keys (OTR's and OMEMO's, one per version): waited for by account, not by count.
    for (const user of ['alice', 'carol']) await trust.getByTestId('own-key').filter({ hasText: jid(user) }).first().waitFor({ timeout: 30_000 });
    const owners = await trust.getByTestId('own-key').allInnerTexts();
    assert.ok(owners.some((t) => t.includes(jid('alice'))) && owners.some((t) => t.includes(jid('carol'))), `own keys: ${owners.join(' | ')}`);
    await assertAccessible(page, 'the trust manager with two accounts');
    await page.getByTestId('trust-close').click();
    await trust.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });
});
