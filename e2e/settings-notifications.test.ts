/**
 * The settings screen and desktop notifications, through the UI: Ctrl+, and
 * the sidebar open the settings; German and a forced theme apply at once and
 * are kept in the profile; a message arriving while the window has no focus makes a
 * notification with what the setting allows (read from the development
 * host's recording shell: --record-notifications), none while the chat is on
 * screen or with 'off'; a policy locks the notification setting; axe finds no
 * serious violation on the settings screen, light and dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import type { RecordedShellCall } from '../electron/devhost/recording-shell.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
type User = 'alice' | 'bob' | 'carol';

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
declare const document: { documentElement: { lang: string; dataset: Record<string, string | undefined> } };
declare const window: {
  dispatchEvent(e: unknown): boolean;
  klatsch: { getSnapshot(p: object): Promise<unknown>; setSettings(p: object): Promise<{ ok: boolean; value?: { values: { otrV3Only: boolean } } }> };
};
declare class Event {
  constructor(type: string);
}
declare function getComputedStyle(el: unknown): { backgroundColor: string };

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

async function assertAccessible(page: Page, what: string): Promise<void> {
  const hasAxe = await page.evaluate(() => 'axe' in (window as object));
  if (!hasAxe) await page.evaluate(await fs.readFile(axePath, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`),
    [],
    `axe on ${what}`,
  );
}

describe('settings screen and desktop notifications', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let policyDir: string;
  const apps = {} as Record<User, AppInstance>;
  const pages = {} as Record<User, Page>;
  const errors = {} as Record<User, string[]>;
  const jid = (user: string) => `${user}@${server.domain}`;
  const notifications = async (user: User) =>
    (await apps[user].shellCalls()).filter((c): c is Extract<RecordedShellCall, { kind: 'notification' }> => c.kind === 'notification');

  /** Waits (on the recording, not on time) until what the desktop was told satisfies `done`. */
  async function shellReaches(user: User, done: (calls: RecordedShellCall[]) => boolean, what: string): Promise<RecordedShellCall[]> {
    for (let i = 0; i < 200; i++) {
      const calls = await apps[user].shellCalls();
      if (done(calls)) return calls;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${user}'s desktop never had ${what}: ${JSON.stringify(await apps[user].shellCalls())}`);
  }

  async function notificationsReach(user: User, count: number) {
    await shellReaches(user, (calls) => calls.filter((c) => c.kind === 'notification').length >= count, `${count} notifications`);
    return notifications(user);
  }

  /** The window loses (or gains) the focus as far as the page can tell; the next request proves main heard it. */
  async function setFocus(page: Page, focused: boolean): Promise<void> {
    await page.evaluate(async (f) => {
      window.dispatchEvent(new Event(f ? 'focus' : 'blur'));
      await window.klatsch.getSnapshot({});
    }, focused);
  }

  async function bobWrites(text: string): Promise<void> {
    await pages.bob.getByTestId('composer').fill(text);
    await pages.bob.getByTestId('composer').press('Enter');
    await pages.bob.locator('[data-testid="message"][data-direction="out"]', { hasText: text }).waitFor();
  }

  async function chooseNotifications(value: 'sender-and-text' | 'sender-only' | 'off'): Promise<void> {
    const page = pages.alice;
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-dialog').waitFor();
    await page.getByTestId(`settings-notifications-${value}`).check();
    await page.waitForFunction(
      async (v) => ((await window.klatsch.getSnapshot({})) as { value: { settings: { values: { notifications: string } } } }).value.settings.values.notifications === v,
      value,
    );
    await page.getByTestId('settings-close').click();
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' });
  }

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob', 'carol'].map((username) => ({ username, password })),
      contacts: [['alice', 'bob']],
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    policyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-e2e-policy-'));
    const policyFile = path.join(policyDir, 'policy.json');
    await fs.writeFile(policyFile, JSON.stringify({ notifications: 'sender-only', otrV3Only: true }));
    for (const user of ['alice', 'bob', 'carol'] as const) {
      apps[user] = await startAppInstance(server.ca.caCertFile, undefined, {
        recordShell: user === 'alice',
        ...(user === 'carol' ? { policyFile } : {}),
      });
      const opened = await openAppPage(browser, apps[user].url, { locale: 'en-US', colorScheme: 'light' });
      pages[user] = opened.page;
      errors[user] = opened.errors;
      await signIn(pages[user], { jid: jid(user), password, host: '127.0.0.1', port: server.c2sPort });
    }
  });

  after(async () => {
    await browser?.close();
    for (const app of Object.values(apps)) await app.stop();
    await server?.dispose();
    if (policyDir) await fs.rm(policyDir, { recursive: true, force: true });
  });

  test('the sidebar and Ctrl+, open the settings; axe finds nothing serious, light and dark', async () => {
    const page = pages.alice;
    await page.getByTestId('open-settings').click();
    const dialog = page.getByTestId('settings-dialog');
    await dialog.waitFor();
    assert.equal(await page.getByTestId('settings-language').inputValue(), 'system');
    assert.equal(await page.getByTestId('settings-theme-system').isChecked(), true);
    assert.equal(await page.getByTestId('settings-notifications-sender-and-text').isChecked(), true);
    await assertAccessible(page, 'the settings screen (light)');
    await page.screenshot({ path: path.join(shots, 'settings-light.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.getByTestId('roster-filter').focus(); // Ctrl+, works from a text field too
    await page.keyboard.press('Control+Comma');
    await dialog.waitFor();
    await page.getByTestId('settings-theme-dark').check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await assertAccessible(page, 'the settings screen (dark)');
    await page.screenshot({ path: path.join(shots, 'settings-dark.png') });
    await page.getByTestId('settings-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('a forced theme wins over the OS and is kept; "system" follows the OS again', async () => {
    const page = pages.alice;
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    // The page's OS says light (colorScheme), the setting says dark (previous test).
    assert.equal(await bg(), 'rgb(21, 24, 28)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-theme-light').check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    assert.equal(await bg(), 'rgb(244, 245, 247)', 'light although the OS is dark');
    await page.getByTestId('settings-theme-system').check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === undefined);
    assert.equal(await bg(), 'rgb(21, 24, 28)', 'the OS is dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await bg(), 'rgb(244, 245, 247)');
    await page.getByTestId('settings-theme-dark').check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    // Kept in the profile (the development host's page cannot reload: its token is spent).
    const stored = JSON.parse(await fs.readFile(path.join(apps.alice.profileDir, 'settings.json'), 'utf8')) as { app?: { theme?: string } };
    assert.equal(stored.app?.theme, 'dark');
    await page.getByTestId('settings-theme-system').check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === undefined);
    await page.getByTestId('settings-close').click();
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' });
  });

  test('switching to German shows German texts at once, with <html lang="de">; "system" goes back to the OS (English here)', async () => {
    const page = pages.alice;
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.keyboard.press('Control+Comma');
    const dialog = page.getByTestId('settings-dialog');
    await page.getByTestId('settings-language').selectOption('de');
    await dialog.getByRole('heading', { name: 'Einstellungen' }).waitFor();
    await page.waitForFunction(() => document.documentElement.lang === 'de');
    assert.match(await dialog.innerText(), /Erscheinungsbild/);
    assert.match(await dialog.innerText(), /Nur der Absender/);
    assert.equal(await page.getByTestId('open-settings').getAttribute('aria-label'), 'Einstellungen');
    await assertAccessible(page, 'the settings screen in German');
    const stored = JSON.parse(await fs.readFile(path.join(apps.alice.profileDir, 'settings.json'), 'utf8')) as { app?: { language?: string } };
    assert.equal(stored.app?.language, 'de', 'kept in the profile');
    await page.getByTestId('settings-language').selectOption('system');
    await dialog.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.getByTestId('settings-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('a message while the window has no focus: a notification with the sender and the text; the unread count goes to the badge', async () => {
    await pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"]`).click();
    await setFocus(pages.alice, false);
    await bobWrites('Lunch at noon?');
    const [first] = await notificationsReach('alice', 1);
    assert.deepEqual(
      { title: first!.title, body: first!.body, showsText: first!.showsText, chat: first!.chat, silent: first!.silent },
      { title: 'bob', body: 'Lunch at noon?', showsText: true, chat: { accountId: first!.chat.accountId, peer: jid('bob') }, silent: false },
    );
    await shellReaches('alice', (calls) => {
      const last = calls.at(-1);
      return last?.kind === 'unread' && last.count === 1;
    }, 'an unread count of 1 last');
    const tray = (await apps.alice.shellCalls()).filter((c) => c.kind === 'tray');
    assert.equal(tray.at(-1)?.kind === 'tray' && tray.at(-1)?.presence, 'online');
  });

  test('a private (OTR) message never shows its text, not even with sender-and-text', async () => {
    // Two Klatsch users are in a private conversation by their second message (opportunistic OTR).
    await pages.bob.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 30_000 });
    await setFocus(pages.alice, false);
    await bobWrites('The merger closes on Friday');
    const list = await notificationsReach('alice', 2);
    assert.deepEqual([list[1]!.title, list[1]!.body, list[1]!.showsText], ['Klatsch', 'New private message from bob', false]);
    assert.doesNotMatch(JSON.stringify(await apps.alice.shellCalls()), /merger/);
  });

  test("no notification while the chat is on screen, nor with 'off'", async () => {
    await chooseNotifications('sender-and-text');
    const page = pages.alice;
    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    await page.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    await setFocus(page, true);
    await bobWrites('You are reading this');
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'You are reading this' }).waitFor();
    assert.equal((await notifications('alice')).length, 2, 'the chat is open in the focused window');

    await chooseNotifications('off');
    await setFocus(page, false);
    await bobWrites('Nobody is told of this');
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Nobody is told of this' }).waitFor();
    assert.equal((await notifications('alice')).length, 2, "'off'");

    // 'sender-only', in German: the notification speaks German.
    await chooseNotifications('sender-only');
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-language').selectOption('de');
    await page.waitForFunction(() => document.documentElement.lang === 'de');
    await page.getByTestId('settings-close').click();
    await setFocus(page, false);
    await bobWrites('Noch eine');
    const list = await notificationsReach('alice', 3);
    assert.deepEqual([list[2]!.title, list[2]!.body, list[2]!.showsText], ['Klatsch', 'Neue private Nachricht von bob', false]);
  });

  test('OTR version 3 only: off by default, turned on and off in the settings, kept in the profile', async () => {
    const page = pages.alice;
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-dialog').waitFor();
    const box = page.getByTestId('settings-otr-v3-only');
    assert.equal(await box.isChecked(), false);
    assert.equal(await box.isDisabled(), false);
    // An empty change is saved after the box's (main writes the settings one after another): then the file has it.
    const saved = () => page.evaluate(async () => (await window.klatsch.setSettings({})).value?.values.otrV3Only);
    const stored = async () => (JSON.parse(await fs.readFile(path.join(apps.alice.profileDir, 'settings.json'), 'utf8')) as { app?: { otrV3Only?: boolean } }).app?.otrV3Only;
    await box.check();
    await page.waitForFunction(async () => (await window.klatsch.setSettings({})).value?.values.otrV3Only === true);
    assert.equal(await saved(), true);
    assert.equal(await stored(), true);
    await box.uncheck();
    await page.waitForFunction(async () => (await window.klatsch.setSettings({})).value?.values.otrV3Only === false);
    assert.equal(await saved(), false);
    assert.equal(await stored(), false);
    await page.getByTestId('settings-close').click();
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' });
  });

  test('the policy locks the notification setting: shown as locked, with the reason', async () => {
    const page = pages.carol;
    await page.keyboard.press('Control+Comma');
    await page.getByTestId('settings-dialog').waitFor();
    assert.equal(await page.getByTestId('settings-notifications-sender-only').isChecked(), true);
    assert.equal(await page.getByTestId('settings-notifications-sender-and-text').isDisabled(), true);
    assert.match(await page.getByTestId('settings-notifications-locked').innerText(), /administrator/);
    // So does the policy key otrV3Only.
    assert.equal(await page.getByTestId('settings-otr-v3-only').isChecked(), true);
    assert.equal(await page.getByTestId('settings-otr-v3-only').isDisabled(), true);
    assert.match(await page.getByTestId('settings-otr-v3-only-locked').innerText(), /administrator/);
    // The language and the sound are not locked.
    assert.equal(await page.getByTestId('settings-language').isDisabled(), false);
    assert.equal(await page.getByTestId('settings-sound').isDisabled(), false);
    await assertAccessible(page, 'the settings screen with a locked setting');
  });

  test('no errors in any page, nothing of a message in the logs', () => {
    for (const user of ['alice', 'bob', 'carol'] as const) assert.deepEqual(errors[user], [], `${user}'s page`);
    for (const user of ['alice', 'bob'] as const) assert.doesNotMatch(apps[user].output(), /merger|Lunch at noon/);
  });
});
