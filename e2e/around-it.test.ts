/**
 * Around the chat: the dark theme following the OS, the unread count in the
 * window title, the keyboard shortcuts, keyboard-only use, and an axe-core
 * check of the main screens in light and dark (no serious or critical
 * violations). Alice's page is light, Bob's asks for dark (colorScheme).
 * Screenshots land in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { assertAccessible } from './support/axe.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';
import { SHORTCUTS } from '../renderer/shortcuts';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
type User = 'alice' | 'bob';

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
type PageElement = { getAttribute(name: string): string | null };
declare const document: { title: string; activeElement: PageElement | null; documentElement: unknown };
declare function getComputedStyle(el: unknown): { backgroundColor: string; colorScheme: string };

describe('themes, title, shortcuts and accessibility', () => {
  let windows: AppWindows<User>;
  let server: ProsodyServer;
  let pages: Record<User, Page>;
  let errors: Record<User, string[]>;
  const jid = (user: string) => `${user}@${server.domain}`;
  const shot = (user: User, name: string) => pages[user].screenshot({ path: path.join(shots, `${name}.png`) });
  const contact = (user: User, peer: User) => pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`);
  const title = (user: User, expected: string) => pages[user].waitForFunction((t) => document.title === t, expected);

  before(async () => {
    windows = await startAppWindows({
      users: ['alice', 'bob'],
      password,
      server: { contacts: [['alice', 'bob']] },
      page: (user) => ({ viewport: { width: 1100, height: 720 }, colorScheme: user === 'bob' ? 'dark' : 'light' }),
    });
    ({ server, pages, errors } = windows);
    await fs.mkdir(shots, { recursive: true });
    for (const page of Object.values(pages)) await page.getByTestId('login-jid').waitFor();
  });

  after(async () => {
    await windows?.dispose();
  });

  test('the theme follows the OS: light for Alice, dark for Bob', async () => {
    const bg = (user: User) => pages[user].evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const scheme = (user: User) => pages[user].evaluate(() => getComputedStyle(document.documentElement).colorScheme);
    assert.equal(await bg('alice'), 'rgb(244, 245, 247)');
    assert.equal(await bg('bob'), 'rgb(21, 24, 28)');
    assert.equal(await scheme('bob'), 'dark');
    assert.notEqual(await scheme('alice'), 'dark');
  });

  test('axe: the sign-in screen, light and dark', async () => {
    await assertAccessible(pages.alice, 'the sign-in screen (light)');
    await assertAccessible(pages.bob, 'the sign-in screen (dark)');
    assert.equal(await pages.alice.title(), 'Klatsch');
  });

  test('keyboard only: Tab reaches the contact and the composer, Enter sends', async () => {
    for (const user of ['alice', 'bob'] as const) {
      await windows.signIn(user);
    }
    await contact('alice', 'bob').and(pages.alice.locator('[data-show="online"]')).waitFor();
    const page = pages.alice;
    await page.locator('body').focus();
    const focused = () => page.evaluate(() => ({ testId: document.activeElement?.getAttribute('data-testid') ?? null, jid: document.activeElement?.getAttribute('data-jid') ?? null }));
    async function tabTo(testId: string, jidWanted?: string): Promise<void> {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        if (f.testId === testId && (jidWanted === undefined || f.jid === jidWanted)) return;
      }
      assert.fail(`Tab never reached ${testId}`);
    }
    await tabTo('contact', jid('bob'));
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    await tabTo('composer');
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Typed without a mouse' }).waitFor();
    assert.equal(await page.getByTestId('composer').inputValue(), '');
  });

  test('the window title counts unread messages; Ctrl+Shift+U opens the next unread chat', async () => {
    await contact('bob', 'alice').getByTestId('unread-badge').waitFor();
    await title('bob', '(1) Klatsch');
    await pages.alice.getByTestId('composer').fill('And a second one');
    await pages.alice.getByTestId('composer').press('Enter');
    await title('bob', '(2) Klatsch');
    await pages.bob.locator('body').focus();
    await pages.bob.keyboard.press('Control+Shift+U');
    await pages.bob.locator(`[data-testid="chat-view"][data-peer="${jid('alice')}"]`).waitFor();
    await title('bob', 'Klatsch');
    await contact('bob', 'alice').getByTestId('unread-badge').waitFor({ state: 'detached' });
    await pages.bob.locator('[data-testid="message"][data-direction="in"]', { hasText: 'And a second one' }).waitFor();
    // The composer of the chat it opened has the focus: answering is just typing.
    await pages.bob.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'composer');
    await pages.bob.keyboard.type('Got both 👍');
    await pages.bob.keyboard.press('Enter');
    await pages.alice.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Got both' }).waitFor();
    assert.equal(await pages.alice.title(), 'Klatsch', 'Alice has the chat open: nothing unread');
  });

  test('axe and screenshots: the main screen with roster and an open chat, light and dark', async () => {
    await shot('alice', 'main-light');
    await shot('bob', 'main-dark');
    await assertAccessible(pages.alice, 'the main screen (light)');
    await assertAccessible(pages.bob, 'the main screen (dark)');
  });

  test('Ctrl+K focuses the contact filter, Ctrl+N opens Add contact, ? the shortcuts help, Escape closes', async () => {
    const page = pages.alice;
    await page.getByTestId('composer').focus();
    await page.keyboard.press('Control+K');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'roster-filter');
    await page.keyboard.press('Control+N');
    const add = page.getByTestId('add-contact-dialog');
    await add.waitFor();
    await page.keyboard.press('Escape');
    await add.waitFor({ state: 'detached' });

    await page.locator('body').focus();
    await page.keyboard.press('?');
    const help = page.getByTestId('shortcuts-help');
    await help.waitFor();
    // One entry per shortcut the app has (renderer/shortcuts.ts).
    assert.equal(await help.getByTestId('shortcut').count(), SHORTCUTS.length);
    assert.match(await help.innerText(), /Ctrl\+Shift\+U/);
    await assertAccessible(page, 'the shortcuts help (light)');
    await shot('alice', 'shortcuts-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    // In the composer, ? is just a character.
    await page.getByTestId('composer').focus();
    await page.keyboard.type('?');
    assert.equal(await page.getByTestId('composer').inputValue(), '?');
    assert.equal(await help.count(), 0);
    await page.getByTestId('composer').fill('');
  });

  test('axe: the trust manager, light and dark', async () => {
    for (const user of ['alice', 'bob'] as const) {
      await pages[user].getByTestId('open-trust-manager').click();
      await pages[user].getByTestId('trust-manager').waitFor();
      // One own-key row per scheme and OMEMO version: the first one is enough to know the list is there.
      await pages[user].getByTestId('own-key').first().waitFor();
      await assertAccessible(pages[user], `the trust manager (${user === 'bob' ? 'dark' : 'light'})`);
      await pages[user].getByTestId('trust-close').click();
      await pages[user].getByTestId('trust-manager').waitFor({ state: 'detached' });
    }
    await shot('bob', 'trust-manager-dark');
  });

  test('axe: the authenticate dialog of a private conversation, light and dark', async () => {
    await pages.alice.getByTestId('privacy-state').click();
    await pages.alice.getByTestId('start-private').click();
    for (const user of ['alice', 'bob'] as const) {
      await pages[user].locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 30_000 });
    }
    for (const user of ['alice', 'bob'] as const) {
      await pages[user].getByTestId('privacy-state').click();
      await pages[user].getByTestId('authenticate').click();
      const dialog = pages[user].getByTestId('auth-dialog');
      await dialog.waitFor();
      await assertAccessible(pages[user], `the authenticate dialog (${user === 'bob' ? 'dark' : 'light'})`);
      if (user === 'bob') await shot('bob', 'authenticate-dark');
      await pages[user].keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
  });

  test('no errors in the pages', () => {
    assert.deepEqual(errors.alice, []);
    assert.deepEqual(errors.bob, []);
  });
});
