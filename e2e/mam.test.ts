/**
 * The message archive (XEP-0313) through the UI: two app instances (development host + Chromium
 * each) on a real Prosody with mod_mam. What arrives while one is offline shows once when it
 * signs in again; on a new device, scrolling to the top of a chat loads older messages from the
 * archive, page by page, keeping what the user was reading in place.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import xml from '@xmpp/xml';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { XmppSession } from '../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../electron/core/xmpp/stanzas.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { signIn as signInAs } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { assertAccessible } from './support/axe.js';

const password = 'e2e-mam-Passw0rd';
const shots = path.resolve('test-results/e2e');
type User = 'alice' | 'bob';

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
type ScrollBox = { scrollTop: number };
type PageDocument = { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

describe('message archive through the UI', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: AppInstance[] = [];
  const pages: Record<User, Page> = {} as never;
  const errors: string[][] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const signIn = (page: Page, user: User) => signInAs(page, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
  const bodies = (page: Page) => page.locator('[data-testid="message"] [data-testid="message-body"]').allInnerTexts();
  /** Every message of the open chat, oldest first: the list is virtualized, so it is read while scrolling from the top down. */
  const everyBody = async (page: Page): Promise<string[]> => {
    const scroller = page.locator('.message-scroll');
    const seen = new Map<number, string>();
    for (let top = 0; ; ) {
      await scroller.evaluate((el: ScrollBox, y: number) => {
        el.scrollTop = y;
      }, top);
      await page.waitForTimeout(50); // a frame or two for the rows of the new position
      const rows = page.locator('.message-scroll li[aria-posinset]');
      for (const row of await rows.all()) {
        const at = Number(await row.getAttribute('aria-posinset'));
        const body = row.getByTestId('message-body');
        if ((await body.count()) > 0) seen.set(at, await body.innerText());
      }
      const { scrollTop, scrollHeight, clientHeight } = await scroller.evaluate((el: ScrollBox & { scrollHeight: number; clientHeight: number }) => ({
        scrollTop: el.scrollTop,
        scrollHeight: el.scrollHeight,
        clientHeight: el.clientHeight,
      }));
      if (scrollTop + clientHeight >= scrollHeight - 1) break;
      top = scrollTop + clientHeight / 2;
    }
    return [...seen].sort((a, b) => a[0] - b[0]).map(([, text]) => text);
  };

  const openPage = async () => {
    const app = await startAppInstance(server.ca.caCertFile);
    apps.push(app);
    const { page, errors: seen } = await openAppPage(browser, app.url);
    errors.push(seen);
    return page;
  };

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
      extraConfig: '\tdefault_archive_policy = true\n',
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    pages.alice = await openPage();
    pages.bob = await openPage();
  });

  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
  });

  test('MAM fetches what arrived while offline', async () => {
    await signIn(pages.alice, 'alice');
    await signIn(pages.bob, 'bob');
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
    // Bob goes offline (signs out of the account in the app).
    await pages.bob.locator('details.account-menu > summary').click();
    await pages.bob.getByRole('button', { name: 'Disconnect' }).click();
    await pages.bob.locator('[data-testid="connection-status"][data-state="offline"]').waitFor();
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="offline"]`).waitFor();

    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    const texts = ['Sent while you were away', 'And a second one'];
    for (const text of texts) {
      await pages.alice.getByTestId('composer').fill(text);
      await pages.alice.getByTestId('composer').press('Enter');
      await pages.alice.locator('[data-testid="message"][data-direction="out"]', { hasText: text }).waitFor();
    }
    await pages.alice.locator('[data-testid="message"][data-direction="out"][data-state="sent"]').nth(1).waitFor();

    // Bob signs in again: offline storage and the archive both have the messages; each shows once.
    await pages.bob.locator('[data-testid="connection-status"]').getByRole('button', { name: 'Connect' }).click();
    await pages.bob.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    await pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"]`).click();
    // Marked archived once the archive's copy was matched with (or was) the one shown: both sources are in.
    for (const text of texts) await pages.bob.locator('[data-testid="message"][data-direction="in"][data-archived="true"]', { hasText: text }).waitFor();
    assert.match(await server.receivedStanzas(), /<query[^>]*xmlns='urn:xmpp:mam:2'/, 'bob asked the archive');
    const shown = await bodies(pages.bob);
    for (const text of texts) assert.equal(shown.filter((b) => b === text).length, 1, `"${text}" shown once: ${JSON.stringify(shown)}`);
    await pages.bob.screenshot({ path: path.join(shots, 'mam-offline.png') });
  });

  test('scrolling to the top of a chat loads older messages from the archive', async () => {
    // History made on alice's other device: more than one page, every message in bob's archive.
    const laptop = await XmppSession.open({
      local: 'alice',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    const history = Array.from({ length: 80 }, (_, i) => `Old news ${String(i).padStart(2, '0')}`);
    try {
      await laptop.send(xml('presence', {}, xml('priority', {}, '-1')));
      for (const [i, text] of history.entries()) await laptop.send(chatMessage(jid('bob'), `laptop-${i}`, text));
    } finally {
      await laptop.close();
    }
    await pages.bob.locator('[data-testid="message"]', { hasText: history.at(-1)! }).waitFor();

    // Bob on a new device: nothing local, so only the newest page comes at sign-in.
    const fresh = await openPage();
    await signIn(fresh, 'bob');
    await fresh.locator(`[data-testid="contact"][data-jid="${jid('alice')}"]`).click();
    await fresh.locator('[data-testid="message"]', { hasText: history.at(-1)! }).waitFor();
    const before = (await bodies(fresh)).filter((b) => b.startsWith('Old news'));
    assert.ok(before.length < history.length, `only the newest page at first (${before.length})`);

    // Scroll to the top until the archive runs out; the message read before stays on screen each time.
    const scroller = fresh.locator('.message-scroll');
    for (let round = 0; round < 6; round++) {
      const status = await fresh.getByTestId('older-history').getAttribute('data-status');
      if (status === 'complete') break;
      // The oldest message shown so far (the list is virtualized: first scroll near the top, short of loading).
      await scroller.evaluate((el: ScrollBox) => {
        el.scrollTop = 250;
      });
      const firstRow = fresh.locator('.message-scroll li[aria-posinset="1"]');
      const topBefore = await firstRow.getByTestId('message-body').innerText();
      const countBefore = Number(await firstRow.getAttribute('aria-setsize'));
      await scroller.evaluate((el: ScrollBox) => {
        el.scrollTop = 0;
      });
      // The scroll event (and with it the request) comes a frame later: wait until this round's page has
      // arrived (more rows) or the archive said it has no more, not merely until nothing is loading.
      await fresh.waitForFunction(
        (count: number) => {
          const doc = (globalThis as unknown as { document: PageDocument }).document;
          const status = doc.querySelector('[data-testid="older-history"]')?.getAttribute('data-status');
          const size = Number(doc.querySelector('.message-scroll li[aria-posinset="1"]')?.getAttribute('aria-setsize'));
          return status === 'failed' || status === 'complete' || (status !== 'loading' && size > count);
        },
        countBefore,
      );
      assert.notEqual(await fresh.getByTestId('older-history').getAttribute('data-status'), 'failed');
      // What was at the top is still in view: the list grew above it without moving it away.
      const view = await scroller.boundingBox();
      const box = await fresh.locator('[data-testid="message"]', { hasText: topBefore }).first().boundingBox();
      assert.ok(view && box && box.y + box.height > view.y && box.y < view.y + view.height, `"${topBefore}" stays in view`);
    }
    await fresh.locator('[data-testid="older-history"][data-status="complete"]').waitFor();
    await fresh.getByTestId('older-status').filter({ hasText: 'No older messages' }).waitFor();
    const all = (await everyBody(fresh)).filter((b) => b.startsWith('Old news'));
    assert.deepEqual(all, history, 'every old message once, oldest first');
    await assertAccessible(fresh, 'a chat with older history loaded');
    await fresh.screenshot({ path: path.join(shots, 'mam-older.png') });
  });

  test('no errors in any page', () => {
    assert.deepEqual(errors.flat(), []);
  });
});
