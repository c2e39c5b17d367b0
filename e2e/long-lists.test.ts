/**
 * Long lists stay light: a roster of 300 contacts and a chat of thousands of
 * messages (from the encrypted local history, written into the profile before
 * the app starts) put only a bounded number of rows into the DOM, scroll to
 * the oldest message and back, and the roster's keyboard navigation still
 * reaches every contact (scrolling it in and keeping focus on it). A contact
 * put into two groups shows under each. Plus an axe-core check of the
 * virtualized lists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { longChat, seedProfile } from './support/seed-profile.js';
import { assertAccessible } from './support/axe.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const CONTACTS = 300;
const STORED = 3_000;
/** More than two screenfuls of rows would mean the list is not virtualized. */
const MAX_ROWS_IN_DOM = 80;

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
type PageElement = { getAttribute(name: string): string | null; scrollTop: number; scrollHeight: number; clientHeight: number };
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
};

describe('virtualized roster and message list', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[] = [];
  const names = Array.from({ length: CONTACTS }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const jid = (user: string) => `${user}@${server.domain}`;
  const focusedJid = () => page.evaluate(() => document.activeElement?.getAttribute('data-jid') ?? null);

  before(async () => {
    await fs.mkdir(shots, { recursive: true });
    // Bob and 300 others in Alice's roster, offline: sorted by name, "bob" comes first and "c300" last.
    server = await startProsody({
      users: [{ username: 'alice', password }],
      contacts: [['alice', 'bob'], ...names.map((n): [string, string] => ['alice', n])],
    });
    app = await startAppInstance(
      server.ca.caCertFile,
      (dir) =>
        seedProfile(
          dir,
          { id: 'long-lists', jid: jid('alice'), host: server.host, port: server.c2sPort },
          { [jid('bob')]: longChat(jid('bob'), STORED) },
        ),
      { args: ['--history-recent-per-chat', String(STORED)] },
    );
    browser = await launchBrowser();
    ({ page, errors } = await openAppPage(browser, app.url));
    await page.getByTestId('password-prompt-input').fill(password);
    await page.getByTestId('password-prompt-submit').click();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await server?.dispose();
  });

  test('the roster says it has every contact but puts only a screenful into the DOM', async () => {
    // The whole roster, not just Bob's chat from the history (shown before the roster arrives).
    await page.locator(`[data-testid="roster"] li[aria-setsize="${CONTACTS + 1}"]`).first().waitFor();
    const setSize = await page.locator('[data-testid="roster"] li').first().getAttribute('aria-setsize');
    assert.equal(setSize, String(CONTACTS + 1), 'the list tells assistive technology how many contacts there are');
    const inDom = await page.getByTestId('contact').count();
    assert.ok(inDom > 5 && inDom < MAX_ROWS_IN_DOM, `contacts in the DOM: ${inDom}`);
  });

  test('arrow keys, Home and End reach contacts far outside the viewport, and focus stays on them', async () => {
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).focus();
    await page.keyboard.press('End');
    await page.locator(`[data-testid="contact"][data-jid="${jid('c300')}"]`).waitFor();
    assert.equal(await focusedJid(), jid('c300'));
    await page.keyboard.press('ArrowUp');
    assert.equal(await focusedJid(), jid('c299'));
    // Scrolling the list away (as a wheel would) keeps the focused contact in the DOM and focused.
    await page.evaluate(() => {
      document.querySelector('[data-testid="roster"]')!.scrollTop = 0;
    });
    await page.locator(`[data-testid="contact"][data-jid="${jid('c001')}"]`).waitFor();
    assert.equal(await focusedJid(), jid('c299'), 'focus stays while scrolled away');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedJid(), jid('c300'));
    await page.keyboard.press('Home');
    assert.equal(await focusedJid(), jid('bob'));
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedJid(), jid('c001'));
    assert.ok((await page.getByTestId('contact').count()) < MAX_ROWS_IN_DOM);
  });

  test('a chat of thousands of messages opens at the newest, scrolls to the oldest shown, and stays bounded', async () => {
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    const scroller = '[data-testid="chat-view"] .message-scroll';
    await page.locator(`${scroller} [data-testid="message-body"]`, { hasText: `#${STORED - 1} ` }).waitFor();
    const total = Number(await page.locator(`${scroller} li`).first().getAttribute('aria-setsize'));
    assert.ok(total >= 1_000, `messages in the chat: ${total}`);
    const atBottom = await page.evaluate((s) => {
      const el = document.querySelector(s)!;
      return el.scrollHeight - el.scrollTop - el.clientHeight;
    }, scroller);
    assert.ok(atBottom < 2, `opened at the bottom (${atBottom}px above it)`);
    assert.ok((await page.getByTestId('message').count()) < MAX_ROWS_IN_DOM);
    await page.screenshot({ path: path.join(shots, 'long-lists-chat-bottom.png') });

    // Scroll up in steps, as a user would, until the oldest message shown is there.
    const oldest = `#${STORED - total} `;
    for (let i = 0; i < 400; i++) {
      if ((await page.locator(`${scroller} [data-testid="message-body"]`, { hasText: oldest }).count()) > 0) break;
      await page.mouse.move(800, 300);
      await page.mouse.wheel(0, -4_000);
      await page.waitForTimeout(16); // one frame between wheel turns, as from a real wheel
    }
    await page.locator(`${scroller} [data-testid="message-body"]`, { hasText: oldest }).waitFor({ timeout: 5_000 });
    const rows = await page.getByTestId('message').count();
    assert.ok(rows > 3 && rows < MAX_ROWS_IN_DOM, `messages in the DOM at the top: ${rows}`);
    await page.screenshot({ path: path.join(shots, 'long-lists-chat-top.png') });
    await assertAccessible(page, 'the long chat and the long roster');

    // Back at the bottom, a message of ours is shown and followed.
    await page.evaluate((s) => {
      const el = document.querySelector(s)!;
      el.scrollTop = el.scrollHeight;
    }, scroller);
    await page.getByTestId('composer').fill('Still here after all these messages');
    await page.getByTestId('composer').press('Enter');
    await page.locator(`${scroller} [data-testid="message-body"]`, { hasText: 'Still here after all these messages' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a contact in two groups shows under each: both rows selected, keyboard visits each, counts per group', async () => {
    const bob = `[data-testid="contact"][data-jid="${jid('bob')}"]`;
    await page.locator('.contact-row', { has: page.locator(bob) }).first().hover();
    await page.locator('.contact-row', { has: page.locator(bob) }).first().getByTestId('edit-contact').click();
    await page.getByTestId('edit-contact-groups').fill('Team, Berlin');
    await page.getByTestId('edit-contact-save').click();
    await page.getByTestId('edit-contact-dialog').waitFor({ state: 'detached' });
    await page.locator(`.roster-item[data-group="Berlin"] ${bob}`).waitFor();
    await page.locator(`.roster-item[data-group="Team"] ${bob}`).waitFor();
    assert.equal(await page.locator(bob).count(), 2, 'once under each group, nowhere else');
    assert.equal(await page.locator(`${bob}.selected`).count(), 2, 'the open chat is marked under both groups');
    assert.equal(await page.locator('[data-testid="roster-group"][data-group="Berlin"] .count').textContent(), '1');
    assert.equal(await page.locator('[data-testid="roster-group"][data-group="Team"] .count').textContent(), '1');
    const focusedRow = () =>
      page.evaluate(() => {
        const row = (document.activeElement as unknown as { closest(s: string): PageElement | null } | null)?.closest('li');
        return { jid: document.activeElement?.getAttribute('data-jid') ?? null, group: row?.getAttribute('data-group') ?? null };
      });
    await page.locator(`.roster-item[data-group="Berlin"] ${bob}`).focus();
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await focusedRow(), { jid: jid('bob'), group: 'Team' }, 'over the Team heading to Bob again');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await focusedRow(), { jid: jid('c001'), group: '' });
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.deepEqual(await focusedRow(), { jid: jid('bob'), group: 'Berlin' });
    await page.screenshot({ path: path.join(shots, 'long-lists-two-groups.png') });
    assert.deepEqual(errors, []);
  });
});
