/**
 * Contacts through the UI, two app instances on a real Prosody where Alice and
 * Bob start as strangers: Alice adds Bob (a bad address first), Bob sees the
 * prompt and approves, both see each other online and chat; then Alice
 * filters, folds a group, renames Bob and removes him.
 * Screenshots land in test-results/e2e/contacts-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { makePng } from '../tests/fixtures/png.js';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';
import type { AppInstance } from './support/dev-host-process.js';
import { assertAccessible } from './support/axe.js';

const password = 'e2e-contacts-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('adding a contact and answering the request through the UI', () => {
  let windows: AppWindows<'alice' | 'bob'>;
  let server: ProsodyServer;
  let apps: AppInstance[];
  let pages: Record<'alice' | 'bob', Page>;
  let errors: Record<'alice' | 'bob', string[]>;
  const jid = (user: string) => `${user}@${server.domain}`;
  const contactIn = (user: 'alice' | 'bob', peer: string, attrs = '') => pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]${attrs}`);
  const shot = (user: 'alice' | 'bob', name: string) => pages[user].screenshot({ path: path.join(shots, `contacts-${user}-${name}.png`) });

  before(async () => {
    // No `contacts`: Alice and Bob are strangers until Alice adds Bob.
    windows = await startAppWindows({
      users: ['alice', 'bob'],
      password,
      server: { extraConfig: 'modules_enabled = { "pep"; "vcard_legacy" }' }, // avatars (XEP-0084, XEP-0153)
    });
    ({ server, pages, errors } = windows);
    apps = Object.values(windows.apps);
    await fs.mkdir(shots, { recursive: true });
  });

  after(async () => {
    await windows?.dispose();
  });

  const signIn = (user: 'alice' | 'bob') => windows.signIn(user);

  test('both sign in with empty rosters', async () => {
    await signIn('alice');
    await signIn('bob');
    await pages.alice.getByText('No contacts yet.').waitFor();
    await pages.bob.getByText('No contacts yet.').waitFor();
  });

  test('Alice adds Bob: a bad address is refused with a clear error, then Bob is added and waits for approval', async () => {
    const page = pages.alice;
    await page.getByTestId('open-add-contact').click();
    const dialog = page.getByTestId('add-contact-dialog');
    await dialog.waitFor();
    await page.getByTestId('add-contact-jid').fill('bob at example');
    await page.getByTestId('add-contact-submit').click();
    const error = page.getByTestId('add-contact-error');
    await error.waitFor();
    assert.match(await error.innerText(), /name@example\.com/);
    assert.equal(await page.getByTestId('add-contact-jid').getAttribute('aria-invalid'), 'true');
    await shot('alice', 'add-invalid');
    await assertAccessible(page, 'the add-contact dialog with an error');

    await page.getByTestId('add-contact-jid').fill(jid('bob'));
    await page.getByTestId('add-contact-name').fill('Bob Builder');
    await page.getByTestId('add-contact-group').fill('Team');
    await shot('alice', 'add-filled');
    await assertAccessible(page, 'the add-contact dialog');
    await page.getByTestId('add-contact-submit').click();
    await dialog.waitFor({ state: 'detached' });

    const bob = contactIn('alice', 'bob', '[data-ask="subscribe"]');
    await bob.waitFor();
    assert.match(await bob.innerText(), /Bob Builder/);
    assert.match(await bob.getByTestId('contact-subscription').innerText(), /Waiting for approval/);
    await page.locator('[data-testid="roster-group"][data-group="Team"]').waitFor();
    await shot('alice', 'pending');
  });

  test('Bob sees a clear prompt and approves; both see each other online', async () => {
    const request = pages.bob.locator(`[data-testid="subscription-request"][data-jid="${jid('alice')}"]`);
    await request.waitFor();
    assert.match(await request.innerText(), new RegExp(`${jid('alice').replace(/\./g, '\\.')} wants to see when you’re online`));
    await shot('bob', 'request');
    await assertAccessible(pages.bob, 'the subscription request');
    await request.getByTestId('approve-request').click();
    await pages.bob.getByTestId('subscription-requests').waitFor({ state: 'detached' });

    await contactIn('alice', 'bob', '[data-subscription="both"][data-show="online"]').waitFor();
    await contactIn('bob', 'alice', '[data-subscription="both"][data-show="online"]').waitFor();
    assert.equal(await contactIn('alice', 'bob').getAttribute('data-ask'), null, 'no longer pending');
    assert.equal(await pages.alice.getByTestId('subscription-requests').count(), 0, 'Alice was not asked about Bob, whom she added');
  });

  test('they chat', async () => {
    await contactIn('alice', 'bob').click();
    await pages.alice.getByTestId('composer').fill('Hi Bob, glad you approved!');
    await pages.alice.getByTestId('composer').press('Enter');
    await contactIn('bob', 'alice').getByTestId('unread-badge').waitFor();
    await contactIn('bob', 'alice').click();
    const incoming = pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]');
    await incoming.first().waitFor();
    assert.equal(await incoming.first().innerText(), 'Hi Bob, glad you approved!');
    await pages.bob.getByTestId('composer').fill('Hi Alice!');
    await pages.bob.getByTestId('composer').press('Enter');
    await pages.alice.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]').first().waitFor();
    await shot('alice', 'chat');
    await shot('bob', 'chat');
  });

  test('Alice sets her picture; Bob sees it in his roster', async () => {
    const page = pages.alice;
    await page.locator('.account-menu summary').click();
    const picture = makePng(64, [36, 87, 197], [250, 190, 60]);
    await page.getByTestId('own-avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture });
    await page.getByTestId('own-avatar-image').waitFor();
    const avatar = contactIn('bob', 'alice').getByTestId('contact-avatar');
    await avatar.waitFor();
    assert.equal(await avatar.getAttribute('src'), `data:image/png;base64,${picture.toString('base64')}`);
    await shot('alice', 'own-avatar');
    await shot('bob', 'avatar');
    await page.getByTestId('own-avatar-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    assert.match(await page.getByTestId('own-avatar-error').innerText(), /PNG, JPEG, GIF or WebP/);
    await page.locator('.account-menu summary').click();
  });

  test('Alice filters as she types and folds the group away', async () => {
    const page = pages.alice;
    const filter = page.getByTestId('roster-filter');
    await filter.fill('nobody-here');
    await page.getByText('No contact matches “nobody-here”.').waitFor();
    await filter.fill('builder');
    await contactIn('alice', 'bob').waitFor();
    await filter.fill(jid('bob').slice(0, 5));
    await contactIn('alice', 'bob').waitFor();
    await filter.press('Escape');
    assert.equal(await filter.inputValue(), '');

    const toggle = page.locator('[data-testid="roster-group"][data-group="Team"] [data-testid="group-toggle"]');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await contactIn('alice', 'bob').waitFor({ state: 'detached' });
    await shot('alice', 'group-collapsed');
    await toggle.click();
    await contactIn('alice', 'bob').waitFor();
  });

  test('Alice renames Bob and moves him to another group', async () => {
    const page = pages.alice;
    await contactIn('alice', 'bob').hover();
    await page.locator('.contact-row', { has: contactIn('alice', 'bob') }).getByTestId('edit-contact').click();
    await page.getByTestId('edit-contact-dialog').waitFor();
    await page.getByTestId('edit-contact-name').fill('Bobby');
    await page.getByTestId('edit-contact-groups').fill('Berlin');
    await shot('alice', 'edit');
    await assertAccessible(page, 'the edit-contact dialog');
    await page.getByTestId('edit-contact-save').click();
    await page.getByTestId('edit-contact-dialog').waitFor({ state: 'detached' });
    await page.locator('.roster-item[data-group="Berlin"]').getByText('Bobby').waitFor();
    await page.locator('[data-testid="roster-group"][data-group="Team"]').waitFor({ state: 'detached' });
  });

  test('Alice removes Bob after confirming', async () => {
    const page = pages.alice;
    await contactIn('alice', 'bob').hover();
    await page.locator('.contact-row', { has: contactIn('alice', 'bob') }).getByTestId('edit-contact').click();
    await page.getByTestId('remove-contact').click();
    await page.getByTestId('remove-contact-confirm').waitFor();
    await shot('alice', 'remove-confirm');
    await assertAccessible(page, 'the edit-contact dialog asking to remove');
    await page.getByTestId('remove-contact-yes').click();
    await page.getByTestId('edit-contact-dialog').waitFor({ state: 'detached' });
    // The conversation stays reachable, but Bob is no longer a contact.
    await contactIn('alice', 'bob', ':not([data-subscription="both"])').waitFor();
    assert.match(await contactIn('alice', 'bob').innerText(), /Not in your contacts/);
    await contactIn('bob', 'alice', '[data-show="offline"]').waitFor();

    // Someone in the list only because of the conversation can be added back, address prefilled.
    await contactIn('alice', 'bob').hover();
    await page.locator('.contact-row', { has: contactIn('alice', 'bob') }).getByTestId('add-stranger').click();
    assert.equal(await page.getByTestId('add-contact-jid').inputValue(), jid('bob'));
    await page.getByTestId('add-contact-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('add-contact-dialog').waitFor({ state: 'detached' });
  });

  test('no errors in the pages, and no password in the hosts output', () => {
    assert.deepEqual(errors.alice, []);
    assert.deepEqual(errors.bob, []);
    for (const app of apps) assert.ok(!app.output().includes(password), 'a password was logged');
  });
});
