/**
 * A contact's authentication request as an office worker meets it, two app instances over a real
 * Prosody: "Authenticate" in a chat that is not private offers to start the private conversation;
 * the request arrives while another chat is open (a desktop notification that names the contact but
 * never the question, recorded by the development host's recording shell, and an unread badge);
 * opening the chat puts the keyboard in the answer field (an answer typed at once is an answer, not a
 * message); a wrong answer (capital letters count) offers the asker "Try again", which opens the form
 * again with the question, and tells the answerer the contact may ask again. Alice uses the app in
 * German in an 800×600 window. Screenshots land in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RecordedShellCall } from '../electron/devhost/recording-shell.js';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { signIn } from './support/sign-in.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'e2e-auth-request-Passw0rd';
const shots = path.resolve('test-results/e2e');
const question = 'Wie heißt unser Bürohund?';
type User = 'alice' | 'bob';

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
declare const document: { activeElement: { getAttribute(name: string): string | null } | null };
declare const window: { dispatchEvent(e: unknown): boolean; klatsch: { getSnapshot(p: object): Promise<unknown> } };
declare class Event {
  constructor(type: string);
}

describe("a contact's authentication request, through the UI", () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps = {} as Record<User, AppInstance>;
  const pages = {} as Record<User, Page>;
  const errors: string[][] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  /** Alice: German, in the smallest window the app is made for; Bob: English, with the recording shell. */
  const looks = {
    alice: { viewport: { width: 800, height: 600 }, locale: 'de-DE' },
    bob: { viewport: { width: 1100, height: 760 }, locale: 'en-US' },
  };

  async function open(user: User): Promise<void> {
    apps[user] = await startAppInstance(server.ca.caCertFile, undefined, { recordShell: user === 'bob' });
    const { page, errors: seen } = await openAppPage(browser, apps[user].url, looks[user]);
    errors.push(seen);
    pages[user] = page;
    await signIn(page, { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
  }

  const contact = (user: User, peer: string) => pages[user].locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`);
  const privacy = (user: User, state: string) => pages[user].locator(`[data-testid="privacy-state"][data-privacy="${state}"]`).waitFor({ timeout: 30_000 });
  const shot = (user: User, name: string) => pages[user].screenshot({ path: path.join(shots, `${name}.png`) });
  const openChat = async (user: User, peer: string) => {
    await contact(user, peer).click();
    await pages[user].locator(`[data-testid="chat-view"][data-peer="${jid(peer)}"]`).waitFor();
  };

  /** Waits (on the recording, not on time) until what Bob's desktop was told satisfies `done`. */
  async function shellReaches(done: (calls: RecordedShellCall[]) => boolean, what: string): Promise<RecordedShellCall[]> {
    for (let i = 0; i < 200; i++) {
      const calls = await apps.bob.shellCalls();
      if (done(calls)) return calls;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`Bob's desktop never had ${what}: ${JSON.stringify(await apps.bob.shellCalls())}`);
  }

  /** The element with the keyboard focus, by test id. */
  const focused = (user: User) => pages[user].evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
        { username: 'carol', password },
      ],
      contacts: [
        ['alice', 'bob'],
        ['bob', 'carol'],
      ],
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    await open('alice');
    await open('bob');
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
    await openChat('alice', 'bob');
    await openChat('bob', 'alice');
  });

  after(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) await app.stop();
    await server?.dispose();
  });

  test('"Authenticate" in a chat that is not private offers to start the private conversation', async () => {
    const page = pages.alice;
    await privacy('alice', 'plaintext');
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('authenticate').click();
    const dialog = page.getByTestId('auth-dialog');
    await dialog.waitFor();
    assert.match(await dialog.getByTestId('auth-not-private').innerText(), /privaten Unterhaltung/);
    assert.equal(await dialog.getByTestId('auth-question').count(), 0, 'no form that cannot work');
    await dialog.getByTestId('auth-start-private').click();
    await dialog.waitFor({ state: 'detached' });
    await privacy('alice', 'private');
  });

  test('the request arrives while another chat is open: a notification naming the contact, never the question, and an unread badge', async () => {
    await privacy('bob', 'private');
    await openChat('bob', 'carol');
    // Bob's window has the focus, with Carol's chat on screen.
    await pages.bob.evaluate(async () => {
      window.dispatchEvent(new Event('focus'));
      await window.klatsch.getSnapshot({});
    });
    const page = pages.alice;
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('authenticate').click();
    const dialog = page.getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-question').click();
    await dialog.getByTestId('auth-question').fill(question);
    await dialog.getByTestId('auth-answer').fill('Bello');
    await dialog.getByTestId('auth-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('smp-running').waitFor();

    const calls = await shellReaches((c) => c.some((call) => call.kind === 'notification'), 'a notification');
    const notifications = calls.filter((c): c is Extract<RecordedShellCall, { kind: 'notification' }> => c.kind === 'notification');
    assert.equal(notifications.length, 1);
    assert.deepEqual(
      { title: notifications[0]!.title, body: notifications[0]!.body, showsText: notifications[0]!.showsText, peer: notifications[0]!.chat.peer },
      { title: 'Klatsch', body: 'alice wants to authenticate you', showsText: false, peer: jid('alice') },
    );
    assert.doesNotMatch(JSON.stringify(await apps.bob.shellCalls()), /Bürohund/, 'the question stays out of the notification centre');
    await shellReaches((c) => {
      const last = c.filter((call) => call.kind === 'unread').at(-1);
      return last?.kind === 'unread' && last.count === 1;
    }, 'an unread count of 1 on the badge');
    assert.equal(await contact('bob', 'alice').getByTestId('unread-badge').innerText(), '1');
  });

  test('opening the chat puts the keyboard in the answer field: what Bob types at once is the answer, not a message', async () => {
    const page = pages.bob;
    await openChat('bob', 'alice');
    await page.getByTestId('smp-request').waitFor();
    assert.equal(await focused('bob'), 'smp-answer');
    assert.match(await page.getByTestId('smp-capitals').innerText(), /Capital letters count/);
    // Bob types at once, in lower case: the answers are compared exactly, so it does not match.
    await page.keyboard.type('bello');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="smp-result"][data-result="failed"]').waitFor();
    assert.equal(await page.locator('[data-testid="message"][data-direction="out"]').count(), 0, 'nothing went into the chat as a message');
    await contact('bob', 'alice').getByTestId('unread-badge').waitFor({ state: 'detached' });
  });

  test('a failed attempt: the asker is offered Try again (the form opens with the question); the answerer is told the contact may ask again', async () => {
    const bobResult = pages.bob.locator('[data-testid="smp-result"][data-result="failed"]');
    assert.match(await bobResult.getByTestId('smp-result-text').innerText(), /may ask you again/);
    assert.equal(await bobResult.getByTestId('smp-try-again').count(), 0, 'Bob cannot ask on Alice’s behalf');

    const page = pages.alice;
    const result = page.locator('[data-testid="smp-result"][data-result="failed"]');
    await result.waitFor();
    assert.match(await result.getByTestId('smp-result-text').innerText(), /Groß- und Kleinschreibung/);
    await shot('alice', 'smp-failed-try-again-de-800x600');
    await result.getByTestId('smp-try-again').click();
    const dialog = page.getByTestId('auth-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('auth-question').inputValue(), question, 'the question asked last time');
    await shot('alice', 'smp-try-again-dialog-de-800x600');
    await page.getByTestId('smp-result').waitFor({ state: 'detached' });
    await dialog.getByTestId('auth-cancel').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('no console errors or crashes', () => {
    assert.deepEqual(errors.flat(), []);
  });
});
