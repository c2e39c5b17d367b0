/**
 * The main screen at the sizes office staff use (1280×800 and 800×600), in English and German:
 * the account is a compact header, the conversation list comes first, the security icons next to a
 * long contact name are never cut off, and a group chat keeps a readable message column (its member
 * list folds away in a small window). Geometry is measured in the page; axe-checked; screenshots
 * in test-results/e2e/layout-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { ChatMessage } from '../shared/contract.js';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { assertAccessible } from './support/axe.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { seedProfile } from './support/seed-profile.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const LONG_NAME = 'Bob Becker (Finance) Accounts Payable and Controlling';
const OTHERS = Array.from({ length: 14 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
/** Chats in Alice's history before she signs in: these are her recent conversations. */
const WITH_HISTORY = OTHERS.slice(0, 6);
const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;
/** At 800×600 at least this many conversations and contacts are on screen without scrolling anything. */
const MIN_VISIBLE = 3;
/** The message column of a group chat never gets narrower than this (it was ~280 px). */
const MIN_MESSAGE_COLUMN = 420;

type Box = { x: number; y: number; width: number; height: number };
// What the functions run inside the page use (the e2e tsconfig has no DOM library).
declare const document: { documentElement: { lang: string } };

describe('layout at 1280×800 and 800×600, English and German', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: AppInstance[] = [];
  let alice: Page;
  let bob: Page;
  const errors: string[][] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const room = () => `standup@conference.${server.domain}`;

  before(async () => {
    await fs.mkdir(shots, { recursive: true });
    server = await startProsody({
      muc: true,
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob'], ...OTHERS.map((n): [string, string] => ['alice', n])],
    });
    const now = Date.now();
    const chats: Record<string, ChatMessage[]> = {};
    WITH_HISTORY.forEach((name, i) => {
      const peer = `${name}@${server.domain}`;
      chats[peer] = [
        { id: `seed-${name}`, peer, direction: 'in', body: `Note from ${name}: the quarterly figures are in the shared folder`, timestamp: now - (i + 1) * 3_600_000, state: 'received', encrypted: false },
      ];
    });
    const aliceApp = await startAppInstance(server.ca.caCertFile, (dir) =>
      seedProfile(dir, { id: 'layout-alice', jid: jid('alice'), host: server.host, port: server.c2sPort }, chats),
    );
    const bobApp = await startAppInstance(server.ca.caCertFile);
    apps.push(aliceApp, bobApp);
    browser = await launchBrowser();
    const a = await openAppPage(browser, aliceApp.url, { viewport: SIZES[0] });
    const b = await openAppPage(browser, bobApp.url);
    alice = a.page;
    bob = b.page;
    errors.push(a.errors, b.errors);
  });

  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
  });

  const shot = (name: string) => alice.screenshot({ path: path.join(shots, `layout-${name}.png`) });
  const contactRow = (peer: string) => alice.locator(`[data-testid="contact"][data-jid="${peer}"]`);

  async function box(locator: Locator, what: string): Promise<Box> {
    const b = await locator.boundingBox();
    assert.ok(b, `${what} is shown`);
    return b;
  }

  const inside = (inner: Box, outer: Box) =>
    inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;

  /** How many of the matched rows are wholly visible inside their scroller and the window, without scrolling. */
  async function visibleRows(rows: Locator, scroller: Locator): Promise<number> {
    const area = await box(scroller, 'the list');
    const size = alice.viewportSize()!;
    let n = 0;
    for (const row of await rows.all()) {
      const b = await row.boundingBox();
      if (b && inside(b, area) && b.y + b.height <= size.height) n++;
    }
    return n;
  }

  async function setLanguage(language: 'en' | 'de') {
    await alice.keyboard.press('Control+Comma');
    await alice.getByTestId('settings-language').selectOption(language);
    await alice.waitForFunction((lang) => document.documentElement.lang === lang, language);
    await alice.getByTestId('settings-close').click();
    await alice.getByTestId('settings-dialog').waitFor({ state: 'detached' });
  }

  test('Alice signs in with history, Bob signs in; Alice names Bob at length and talks to him privately, verified', async () => {
    await alice.getByTestId('password-prompt-input').fill(password);
    await alice.getByTestId('password-prompt-submit').click();
    await alice.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    await signIn(bob, { jid: jid('bob'), password, host: '127.0.0.1', port: server.c2sPort });
    await contactRow(jid('bob')).waitFor();

    // Found by the filter, as a user with many contacts does.
    await alice.getByTestId('roster-filter').fill('bob');
    await alice.locator('.contact-row', { has: contactRow(jid('bob')) }).getByTestId('edit-contact').click();
    await alice.getByTestId('edit-contact-name').fill(LONG_NAME);
    await alice.getByTestId('edit-contact-save').click();
    await alice.getByTestId('edit-contact-dialog').waitFor({ state: 'detached' });
    await contactRow(jid('bob')).locator('.contact-name-text', { hasText: LONG_NAME }).waitFor();

    await contactRow(jid('bob')).click();
    await alice.getByTestId('roster-filter').fill('');
    await alice.getByTestId('composer').fill('Hello Bob');
    await alice.getByTestId('composer').press('Enter');
    await alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 20_000 });
    await alice.getByTestId('composer').fill('The salary list is attached');
    await alice.getByTestId('composer').press('Enter');

    // Verified by comparing fingerprints in the trust manager: the roster then shows 🔒✓.
    await alice.getByTestId('open-trust-manager').click();
    const manager = alice.getByTestId('trust-manager');
    await manager.locator(`[data-testid="contact-key"][data-peer="${jid('bob')}"][data-trust="unverified"]`).getByTestId('key-verify').click();
    const dialog = alice.getByTestId('verify-key-dialog');
    await dialog.getByTestId('auth-manual-verified').check();
    await dialog.getByTestId('verify-key-confirm').click();
    await dialog.waitFor({ state: 'detached' });
    await alice.getByTestId('trust-close').click();
    await contactRow(jid('bob')).locator('[data-testid="contact-private"][data-privacy="private-verified"]').waitFor();
  });

  test('the conversation list: most recent first, a private message shows no text', async () => {
    const list = alice.getByTestId('conversation-list');
    const peers = await list.getByTestId('conversation').evaluateAll((els) => els.map((e) => e.getAttribute('data-peer')));
    assert.deepEqual(peers, [jid('bob'), ...WITH_HISTORY.map(jid)], 'Bob (just now), then the history, newest first');
    const bobRow = list.locator(`[data-testid="conversation"][data-peer="${jid('bob')}"]`);
    await list.locator(`[data-testid="conversation"][data-peer="${jid('bob')}"][data-preview="private"]`).waitFor();
    assert.equal(await bobRow.getByTestId('conversation-preview').innerText(), '🔒 You: Private message');
    assert.ok(!(await list.innerText()).includes('salary'), 'the private text is nowhere in the list');
  });

  test('Alice creates a group chat', async () => {
    await alice.getByTestId('open-join-room').click();
    await alice.getByTestId('join-room-address').fill('Standup');
    await alice.getByTestId('join-room-nick').fill('Alice');
    await alice.getByTestId('join-room-submit').click();
    await alice.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`).waitFor({ timeout: 20_000 });
    assert.equal(await alice.getByTestId('room-title').innerText(), '# standup', "the room's name, not its address");
    await alice.locator(`[data-testid="conversation"][data-kind="room"][data-peer="${room()}"]`).waitFor();
  });

  for (const language of ['en', 'de'] as const) {
    for (const size of SIZES) {
      const name = `${language}-${size.width}x${size.height}`;
      test(`${name}: header, conversations, contacts and security icons fit; the group chat keeps its message column`, async () => {
        await alice.setViewportSize(size);
        if (language === 'de' && size === SIZES[0]) await setLanguage('de');
        const small = size.width < 1000;

        // The chat with Bob: his long name gives way, the lock and check mark show in full.
        await alice.locator(`[data-testid="conversation"][data-peer="${jid('bob')}"]`).click();
        await alice.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
        // Bob (online) is first in the roster; the list is shown from its top.
        await alice.getByTestId('roster').evaluate((e) => (e.scrollTop = 0));
        await contactRow(jid('bob')).waitFor();
        const row = await box(contactRow(jid('bob')), 'Bob in the roster');
        const icon = await box(contactRow(jid('bob')).getByTestId('contact-private'), 'the security icon');
        assert.ok(inside(icon, row), `the security icon ${JSON.stringify(icon)} is inside its row ${JSON.stringify(row)}`);
        assert.equal(
          await contactRow(jid('bob')).getByTestId('contact-private').evaluate((e) => e.scrollWidth <= e.clientWidth + 1),
          true,
          'the icon itself is not cut',
        );
        assert.equal(
          await contactRow(jid('bob')).locator('.contact-name-text').evaluate((e) => e.scrollWidth > e.clientWidth),
          true,
          'the long name is what gets shortened',
        );

        // The header is compact and nothing in the sidebar scrolls as a whole.
        const header = await box(alice.locator('.sidebar-top'), 'the account header');
        assert.ok(header.height <= 120, `the account header is compact: ${header.height} px`);
        assert.equal(await alice.locator('nav.sidebar').evaluate((e) => e.scrollHeight <= e.clientHeight + 1), true, 'the sidebar does not scroll as a whole');
        const conversations = await visibleRows(alice.getByTestId('conversation'), alice.getByTestId('conversation-list'));
        const contacts = await visibleRows(alice.getByTestId('contact'), alice.getByTestId('roster'));
        assert.ok(conversations >= MIN_VISIBLE, `${conversations} conversations visible at ${name}`);
        assert.ok(contacts >= MIN_VISIBLE, `${contacts} contacts visible at ${name}`);
        await shot(`${name}-chat`);
        await assertAccessible(alice, `the chat at ${name}`);

        // The group chat: the room's name, a message column of readable width, members folded away when small.
        await alice.locator(`[data-testid="conversation"][data-kind="room"][data-peer="${room()}"]`).click();
        const view = alice.locator(`[data-testid="room-view"][data-room="${room()}"]`);
        await view.waitFor();
        const toggle = view.getByTestId('toggle-members');
        assert.equal(await toggle.getAttribute('aria-expanded'), String(!small), small ? 'members collapsed' : 'members shown');
        assert.equal(await view.getByTestId('occupant-list').count(), small ? 0 : 1);
        const column = await box(view.locator('.room-messages'), 'the message column');
        assert.ok(column.width >= MIN_MESSAGE_COLUMN, `the message column is ${column.width} px wide at ${name}`);
        const title = await box(view.getByTestId('room-title'), 'the room title');
        assert.ok(title.x + title.width <= size.width, 'the room title fits');
        await shot(`${name}-room`);
        await assertAccessible(alice, `the group chat at ${name}`);
        // The toggle shows and hides the members by keyboard too.
        await toggle.focus();
        await alice.keyboard.press('Enter');
        assert.equal(await toggle.getAttribute('aria-expanded'), String(small));
        await view.getByTestId('occupant-list').waitFor({ state: small ? 'visible' : 'detached' });
        if (small) await shot(`${name}-room-members`);
        await alice.keyboard.press('Enter');
        assert.equal(await toggle.getAttribute('aria-expanded'), String(!small));

        // The account menu opens over the lists and closes with Escape; everything in it is at hand.
        const summary = alice.locator('details.account-menu > summary');
        await summary.focus();
        await alice.keyboard.press('Enter');
        const menu = alice.getByTestId('account-menu');
        await menu.waitFor();
        const menuBox = await box(menu, 'the account menu');
        assert.ok(menuBox.y + menuBox.height <= size.height && menuBox.x >= 0, 'the menu fits the window');
        for (const id of ['own-status', 'accounts-add', 'own-avatar', 'open-shortcuts-help']) await menu.getByTestId(id).waitFor();
        await shot(`${name}-menu`);
        await assertAccessible(alice, `the account menu at ${name}`);
        await alice.keyboard.press('Escape');
        await menu.waitFor({ state: 'hidden' });

        // The trust manager: every action and "Close" inside the dialog and the window.
        await alice.getByTestId('open-trust-manager').click();
        const manager = alice.getByTestId('trust-manager');
        await manager.waitFor();
        await shot(`${name}-trust`);
        const dialogBox = await box(manager, 'the trust manager');
        assert.ok(dialogBox.x >= 0 && dialogBox.x + dialogBox.width <= size.width, 'the trust manager fits the window width');
        assert.ok(inside(await box(alice.getByTestId('trust-close'), 'Close'), dialogBox), 'Close is inside the dialog');
        const actions = manager.locator(`[data-testid="contact-key"][data-peer="${jid('bob')}"] button`);
        // The list scrolls (own keys, OMEMO devices): each action, scrolled to, lies inside the dialog.
        for (const action of await actions.all()) {
          await action.scrollIntoViewIfNeeded();
          assert.ok(inside(await box(action, 'a key action'), dialogBox), 'every key action is inside the dialog');
          assert.ok(inside(await box(alice.getByTestId('trust-close'), 'Close'), dialogBox), 'Close stays inside the dialog while the list scrolls');
        }
        assert.ok(await manager.evaluate((d) => d.scrollWidth <= d.clientWidth + 1), 'no sideways scrolling');
        await alice.getByTestId('trust-close').click();
        await manager.waitFor({ state: 'detached' });
      });
    }
  }

  test('no console errors or crashes', () => {
    for (const list of errors) assert.deepEqual(list, []);
  });
});
