/**
 * A long stored chat in the UI: it opens with its newest page only (the core holds no more), and
 * scrolling up pages older messages in from the encrypted history database until the very first
 * one is on screen; asked once more, the server's archive has nothing older.
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

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const STORED = 5_000;

describe('paging a long stored chat', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    await fs.mkdir(shots, { recursive: true });
    server = await startProsody({ users: [{ username: 'alice', password }], contacts: [['alice', 'bob']] });
    app = await startAppInstance(server.ca.caCertFile, (dir) =>
      seedProfile(dir, { id: 'paging', jid: jid('alice'), host: server.host, port: server.c2sPort }, { [jid('bob')]: longChat(jid('bob'), STORED) }),
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

  test('the chat opens with its newest page; scrolling up reaches its very first message, from disk', async () => {
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    const scroller = '[data-testid="chat-view"] .message-scroll';
    const body = (n: number) => page.locator(`${scroller} [data-testid="message-body"]`, { hasText: new RegExp(`^#${n} `) });
    await body(STORED - 1).waitFor();
    const setSize = async () => Number(await page.locator(`${scroller} li`).first().getAttribute('aria-setsize'));
    const opened = await setSize();
    assert.ok(opened < STORED / 10, `opened with a page, not the whole chat: ${opened}`);

    // Scroll to the top again and again, as a user would: each time one older page comes.
    for (let i = 0; i < 200; i++) {
      if ((await body(0).count()) > 0) break;
      await page.mouse.move(600, 300);
      await page.mouse.wheel(0, -50_000);
      await page.locator('[data-testid="older-history"]:not([data-status="loading"])').waitFor();
    }
    await body(0).waitFor({ timeout: 5_000 });
    assert.ok((await setSize()) >= STORED, 'every stored message is in the chat');
    // Asked once more, the server's archive has nothing older: the list says so.
    await page.getByTestId('load-older').dispatchEvent('click');
    await page.locator('[data-testid="older-history"][data-status="complete"]').waitFor();
    await page.screenshot({ path: path.join(shots, 'history-paging-first-message.png') });
    assert.deepEqual(errors, []);
  });
});
