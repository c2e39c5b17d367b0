/**
 * The everyday details, at 1280×800 (English) and 800×600 (German): the privacy menu closes on Escape and
 * on a click outside; the fingerprint checkbox sits beside its label; banners (authentication request, a
 * room's "not encrypted") do not cover the first messages; unread badges line up; search opens empty; the
 * join-room dialog's buttons sit like every other dialog's; the confirmations name what they affect.
 * Screenshots land in test-results/e2e/ (everyday-*.png); axe finds no serious or critical issue.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { assertAccessible } from './support/axe.js';
import { signIn as signInAs } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
type User = 'alice' | 'bob';
/** Alice: a large window in English; Bob: a small one in German. */
const windows: Record<User, { viewport: { width: number; height: number }; locale: string }> = {
  alice: { viewport: { width: 1280, height: 800 }, locale: 'en-US' },
  bob: { viewport: { width: 800, height: 600 }, locale: 'de-DE' },
};

type Box = { x: number; y: number; width: number; height: number };
async function box(locator: Locator): Promise<Box> {
  const b = await locator.boundingBox();
  assert.ok(b, 'the element is shown');
  return b;
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Scrolls a chat's message list to its start and, once its first message shows inside the list, returns the
 * banner's and that message's boxes, read in the same moment (a message arriving scrolls the list to its end).
 */
async function bannerAndFirst(page: Page, view: Locator, banner: string): Promise<[Box, Box]> {
  const handle = await page.waitForFunction(
    ([el, selector]) => {
      type El = { scrollTop: number; getBoundingClientRect(): Box & { top: number }; querySelector(s: string): El | null };
      const v = el as unknown as El;
      const list = v.querySelector('.message-scroll');
      const first = list?.querySelector('[data-testid="message"], [data-testid="room-message"]');
      const top = v.querySelector(selector as string);
      if (!list || !first || !top) return null;
      list.scrollTop = 0;
      if (first.getBoundingClientRect().top < list.getBoundingClientRect().top) return null;
      return [top, first].map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      });
    },
    [await view.elementHandle(), banner] as const,
  );
  return (await handle.jsonValue()) as [Box, Box];
}

describe('everyday details', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: AppInstance[] = [];
  const pages: Record<User, Page> = {} as never;
  const errors: Record<User, string[]> = { alice: [], bob: [] };
  const jid = (user: string) => `${user}@${server.domain}`;
  const room = () => `coffee@conference.${server.domain}`;
  const shot = (user: User, name: string) => pages[user].screenshot({ path: path.join(shots, `everyday-${name}-${windows[user].viewport.width}.png`) });
  const contact = (user: User, peer: string) => pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`);
  const privacy = (user: User, state: string) => pages[user].locator(`[data-testid="privacy-state"][data-privacy="${state}"]`).waitFor();

  before(async () => {
    server = await startProsody({
      muc: true,
      users: ['alice', 'bob', 'carol'].map((username) => ({ username, password })),
      contacts: [
        ['alice', 'bob'],
        ['alice', 'carol'],
      ],
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    for (const user of ['alice', 'bob'] as const) {
      const app = await startAppInstance(server.ca.caCertFile);
      apps.push(app);
      const { page, errors: seen } = await openAppPage(browser, app.url, windows[user]);
      errors[user] = seen;
      pages[user] = page;
      await signInAs(page, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    }
    await contact('alice', 'bob').and(pages.alice.locator('[data-show="online"]')).waitFor();
  });

  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
  });

  test('the privacy menu closes on Escape and on a click outside', async () => {
    const page = pages.alice;
    await contact('alice', 'bob').click();
    const menu = page.locator('.privacy-menu');
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('otr-policy').waitFor();
    await shot('alice', 'privacy-menu');
    // No entry of the policy list reads like another, and "refresh" is gone.
    const labels = await page.getByTestId('otr-policy').locator('option').allInnerTexts();
    assert.equal(new Set(labels.map((l) => l.toLowerCase())).size, labels.length, labels.join(' | '));
    assert.equal(await page.getByTestId('start-private').innerText(), 'Start private conversation');
    await page.keyboard.press('Escape');
    assert.equal(await menu.evaluate((d) => (d as unknown as { open: boolean }).open), false, 'Escape closes the menu');
    await page.getByTestId('privacy-state').click();
    assert.equal(await menu.evaluate((d) => (d as unknown as { open: boolean }).open), true);
    await page.getByTestId('composer').click();
    assert.equal(await menu.evaluate((d) => (d as unknown as { open: boolean }).open), false, 'a click outside closes the menu');
  });

  test('an authentication request does not cover the first messages (800×600, German)', async () => {
    const page = pages.bob;
    await contact('bob', 'alice').click();
    for (const text of ['Erste Nachricht', 'Zweite Nachricht']) {
      await page.getByTestId('composer').fill(text);
      await page.getByTestId('composer').press('Enter');
    }
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('start-private').click();
    await privacy('bob', 'private');
    await privacy('alice', 'private');
    // Alice asks a question: Bob's chat shows the request above his messages.
    await pages.alice.getByTestId('privacy-state').click();
    await pages.alice.getByTestId('authenticate').click();
    const dialog = pages.alice.getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-question').click();
    await dialog.getByTestId('auth-question').fill('Where did we meet?');
    await dialog.getByTestId('auth-answer').fill('Hamburg');
    await dialog.getByTestId('auth-submit').click();
    await page.getByTestId('smp-request').waitFor();
    const [request, first] = await bannerAndFirst(page, page.getByTestId('chat-view'), '[data-testid="smp-request"]');
    await shot('bob', 'auth-request');
    assert.equal(overlap(request, first), false, 'the request covers the first message');
    await assertAccessible(page, 'a chat with an authentication request (German, 800×600)');
  });
  test('the fingerprint checkbox sits beside its label, on the same row', async () => {
    for (const user of ['alice', 'bob'] as const) {
      const page = pages[user];
      await page.getByTestId('privacy-state').click();
      await page.getByTestId('authenticate').click();
      const dialog = page.getByTestId('auth-dialog');
      await dialog.getByTestId('auth-method-fingerprint').click();
      const check = dialog.getByTestId('auth-manual-verified');
      const label = dialog.locator('label.confirm-check > span');
      const c = await box(check);
      const l = await box(label);
      await shot(user, 'fingerprint');
      assert.ok(l.x >= c.x + c.width, `the label starts right of the checkbox (${l.x} < ${c.x + c.width})`);
      assert.ok(l.x - (c.x + c.width) < 16, 'the label is right beside the checkbox');
      assert.ok(c.y < l.y + l.height && l.y < c.y + c.height, 'the checkbox is on the label’s row');
      await assertAccessible(page, `the fingerprint comparison (${user})`);
      await dialog.getByTestId('auth-cancel').click();
      await dialog.waitFor({ state: 'detached' });
    }
  });

  test('the join-room dialog’s buttons look and sit like every other dialog’s', async () => {
    const page = pages.bob;
    await page.getByTestId('open-join-room').click();
    const dialog = page.getByTestId('join-room-dialog');
    await dialog.waitFor();
    await shot('bob', 'join-room');
    await assertAccessible(page, 'the join-room dialog (German, 800×600)');
    const cancel = dialog.locator('button', { hasText: 'Abbrechen' });
    const submit = dialog.getByTestId('join-room-submit');
    // As in the authentication dialog: an ordinary button to cancel, then the primary one, right-aligned, on one row.
    assert.equal(await cancel.getAttribute('class'), 'button');
    const [cb, sb, form] = [await box(cancel), await box(submit), await box(dialog.getByTestId('join-room-form'))];
    assert.ok(Math.abs(cb.y + cb.height / 2 - (sb.y + sb.height / 2)) <= 1, 'both buttons on one row');
    assert.ok(cb.x < sb.x, 'cancel first, then join');
    assert.ok(Math.abs(sb.x + sb.width - (form.x + form.width)) <= 1, 'the buttons end at the right edge');
    assert.equal(Math.round(cb.height), Math.round(sb.height), 'both buttons the same height');
    await cancel.click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('a room’s “not encrypted” banner does not cover its first messages', async () => {
    const join = async (user: User, nick: string) => {
      const page = pages[user];
      await page.getByTestId('open-join-room').click();
      await page.getByTestId('join-room-address').fill(room());
      await page.getByTestId('join-room-nick').fill(nick);
      await page.getByTestId('join-room-submit').click();
      await page.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`).waitFor();
    };
    await join('alice', 'Alice');
    await join('bob', 'Bob');
    for (let i = 1; i <= 12; i++) {
      await pages.bob.getByTestId('composer').fill(`Kaffee ${i}`);
      await pages.bob.getByTestId('composer').press('Enter');
    }
    await pages.alice.getByTestId('room-view').getByText('Kaffee 12', { exact: true }).waitFor();
    for (const user of ['alice', 'bob'] as const) {
      const page = pages[user];
      const view = page.getByTestId('room-view');
      const [banner, first] = await bannerAndFirst(page, view, '[data-testid="room-not-encrypted"]');
      await shot(user, 'room');
      assert.equal(overlap(banner, first), false, `${user}: the banner covers the first message`);
      await assertAccessible(page, `a room (${user})`);
    }
  });

  test('unread badges of contacts and rooms line up', async () => {
    // Alice looks at Carol's chat; Bob writes to her and into the room.
    await contact('alice', 'carol').click();
    await pages.bob.locator(`[data-testid="room-entry"][data-room="${room()}"]`).click();
    await pages.bob.getByTestId('composer').fill('Noch jemand Kaffee?');
    await pages.bob.getByTestId('composer').press('Enter');
    await contact('bob', 'alice').click();
    await pages.bob.getByTestId('composer').fill('Hast du kurz Zeit?');
    await pages.bob.getByTestId('composer').press('Enter');
    const page = pages.alice;
    const contactBadge = contact('alice', 'bob').locator('[data-testid="unread-badge"]');
    const roomBadge = page.locator(`[data-testid="room-entry"][data-room="${room()}"] [data-testid="room-unread"]`);
    await contactBadge.waitFor();
    await roomBadge.waitFor();
    await shot('alice', 'badges');
    const [c, r] = [await box(contactBadge), await box(roomBadge)];
    assert.ok(Math.abs(c.x + c.width - (r.x + r.width)) <= 1, `same right edge: contact ${c.x + c.width}, room ${r.x + r.width}`);
    assert.ok(Math.abs(c.height - r.height) <= 1, 'same size');
    // Each badge sits in the middle of its row.
    for (const [badge, row] of [
      [contactBadge, contact('alice', 'bob')],
      [roomBadge, page.locator(`[data-testid="room-entry"][data-room="${room()}"]`)],
    ] as const) {
      const [b, w] = [await box(badge), await box(row)];
      assert.ok(Math.abs(b.y + b.height / 2 - (w.y + w.height / 2)) <= 1, 'the badge is centred in its row');
    }
  });

  test('search opens empty and shows times as the chat does', async () => {
    const page = pages.bob;
    await page.getByTestId('open-search').click();
    await page.getByTestId('search-input').fill('Nachricht');
    const result = page.getByTestId('search-result').first();
    await result.waitFor();
    await shot('bob', 'search');
    await assertAccessible(page, 'search (German, 800×600)');
    const time = await result.locator('time').innerText();
    assert.match(time, /\b\d\d:\d\d$/, `the time as in the chat (HH:MM): ${time}`);
    await page.keyboard.press('Escape');
    await page.getByTestId('search-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('open-search').click();
    assert.equal(await page.getByTestId('search-input').inputValue(), '', 'search opens with an empty query');
    await page.keyboard.press('Escape');
  });

  test('the shortcuts and settings dialogs at 800×600', async () => {
    const page = pages.bob;
    await page.locator('.account-menu > summary').click();
    await page.getByTestId('open-shortcuts-help').click();
    const help = page.getByTestId('shortcuts-help');
    await help.waitFor();
    await shot('bob', 'shortcuts');
    assert.equal(await help.getByRole('heading', { level: 2 }).innerText(), 'Tastenkürzel');
    // The title stands apart from the list as every dialog's title does from what follows.
    const title = await box(help.getByRole('heading', { level: 2 }));
    const list = await box(help.locator('.shortcut-list'));
    assert.ok(list.y - (title.y + title.height) >= 8, `space under the title: ${list.y - (title.y + title.height)} px`);
    await page.keyboard.press('Escape');
    await page.getByTestId('open-settings').click();
    await page.getByTestId('settings-language').waitFor();
    await shot('bob', 'settings');
    // One regular space between the parts of the form (title, fields, groups, buttons).
    const gaps = await page.getByTestId('settings-dialog').evaluate((d) => {
      const parts = Array.from((d as unknown as { children: ArrayLike<{ getBoundingClientRect(): Box }> }).children).map((c) => c.getBoundingClientRect());
      return parts.slice(1).map((r, i) => Math.round(r.y - (parts[i]!.y + parts[i]!.height)));
    });
    assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `irregular spacing in the settings: ${gaps.join(', ')} px`);
    await assertAccessible(page, 'the settings (German, 800×600)');
    await page.keyboard.press('Escape');
  });

  test('confirmations name what they affect; one “Add account”', async () => {
    const page = pages.alice;
    // Shown or folded away in a menu, there is one.
    assert.equal(await page.locator('button', { hasText: /add account/i }).count(), 1, 'one “Add account” on the main screen');
    await contact('alice', 'carol').locator('..').getByTestId('edit-contact').click();
    await page.getByTestId('edit-contact-name').fill('Carol Cook');
    await page.getByTestId('edit-contact-save').click();
    await page.getByTestId('edit-contact-dialog').waitFor({ state: 'detached' });
    await contact('alice', 'carol').locator('..').getByTestId('edit-contact').click();
    await page.getByTestId('remove-contact').click();
    const confirm = page.getByTestId('remove-contact-confirm');
    await confirm.getByRole('heading', { name: 'Remove Carol Cook?' }).waitFor();
    await shot('alice', 'remove-contact');
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await page.keyboard.press('Escape');
    await page.locator('.account-menu > summary').click();
    await page.getByTestId('remove-account').click();
    const consequences = await page.getByTestId('remove-account-consequences').innerText();
    assert.match(consequences, /history on this computer is deleted/);
    assert.match(consequences, /private key .* stay/);
    await shot('alice', 'remove-account');
    await assertAccessible(page, 'the remove-account confirmation');
    await page.getByRole('button', { name: 'Keep' }).click();
    assert.deepEqual(errors, { alice: [], bob: [] });
  });
});
