/**
 * Two app instances (development host + Chromium each) sign in to a real
 * Prosody through the UI, see each other online, and chat both ways.
 * Screenshots of both windows land in test-results/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';
import type { AppInstance } from './support/dev-host-process.js';

const password = 'e2e-secret-Passw0rd';
/** Said inside the private conversation: must show in the pages and nowhere else. */
const privateTexts = ['Private: the vault code is 7341-ALPHA', 'Private reply: ack ZULU-9902'];
const shots = path.resolve('test-results/e2e');

describe('two users chat through the UI', () => {
  let windows: AppWindows<'alice' | 'bob'>;
  let server: ProsodyServer;
  let apps: AppInstance[];
  let pages: Record<'alice' | 'bob', Page>;
  let errors: Record<'alice' | 'bob', string[]>;
  /** Every console line of both pages, whatever its level. */
  const consoleLines: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    windows = await startAppWindows({ users: ['alice', 'bob'], password, server: { contacts: [['alice', 'bob']] } });
    ({ server, pages, errors } = windows);
    apps = Object.values(windows.apps);
    await fs.mkdir(shots, { recursive: true });
    for (const page of Object.values(pages)) page.on('console', (m) => consoleLines.push(m.text()));
  });

  after(async () => {
    await windows?.dispose();
  });

  const signIn = (user: 'alice' | 'bob') => windows.signIn(user);

  test('both sign in and see each other online', async () => {
    await signIn('alice');
    await signIn('bob');
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
    await pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"][data-show="online"]`).waitFor();
  });

  test('presence and status text set by one show in the other roster', async () => {
    await pages.bob.getByTestId('own-show').selectOption('away');
    await pages.bob.locator('details.account-menu > summary').click(); // the status message is in the account menu
    await pages.bob.getByTestId('own-status').fill('Back at 2');
    await pages.bob.getByTestId('own-status').press('Enter');
    const bobInAlice = pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`);
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="away"]`).waitFor();
    await bobInAlice.getByText('Back at 2').waitFor();
    await pages.bob.getByTestId('own-show').selectOption('online');
    await pages.bob.locator('details.account-menu > summary').click();
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"][data-show="online"]`).waitFor();
  });

  test('a message typed in one appears in the other, and back', async () => {
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    await pages.alice.locator(`[data-testid="chat-view"][data-peer="${jid('bob')}"]`).waitFor();
    const composer = pages.alice.getByTestId('composer');
    await composer.fill('Hi Bob, lunch today?');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('Say 12:30 🍜');
    await composer.press('Enter');
    await assert.doesNotReject(
      // Sent, or already delivered (a receipt can follow within milliseconds).
      pages.alice.locator('[data-testid="message"][data-direction="out"]:is([data-state="sent"], [data-state="delivered"])').first().waitFor(),
    );
    assert.equal(await composer.inputValue(), '', 'Enter sent the message and emptied the composer');

    // Bob sees an unread marker, opens the chat, reads both lines as plain text.
    const aliceInBob = pages.bob.locator(`[data-testid="contact"][data-jid="${jid('alice')}"]`);
    await aliceInBob.getByTestId('unread-badge').waitFor();
    assert.equal((await aliceInBob.getByTestId('unread-badge').textContent())?.trim(), '1');
    await aliceInBob.click();
    const incoming = pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]');
    await incoming.first().waitFor();
    assert.equal(await incoming.first().innerText(), 'Hi Bob, lunch today?\nSay 12:30 🍜');
    await aliceInBob.getByTestId('unread-badge').waitFor({ state: 'detached' });

    await pages.bob.getByTestId('composer').fill('Yes! <b>see you</b>');
    await pages.bob.getByTestId('send-button').click();
    const reply = pages.alice.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]');
    await reply.first().waitFor();
    assert.equal(await reply.first().innerText(), 'Yes! <b>see you</b>', 'message text is never rendered as HTML');

    // The default policy made the conversation private by itself (XEP-0364): said in the header and the roster.
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    await pages.bob.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
    await pages.alice.locator(`[data-testid="contact"][data-jid="${jid('bob')}"] [data-testid="contact-private"]`).waitFor();
    await pages.alice.locator('[data-testid="message"][data-direction="notice"]').first().waitFor();

    await pages.alice.screenshot({ path: path.join(shots, 'alice.png') });
    await pages.bob.screenshot({ path: path.join(shots, 'bob.png') });
  });

  test('private messages go both ways while the conversation is private', async () => {
    await pages.alice.getByTestId('composer').fill(privateTexts[0]!);
    await pages.alice.getByTestId('composer').press('Enter');
    const atBob = pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]', { hasText: privateTexts[0]! });
    await atBob.waitFor();
    await pages.bob.getByTestId('composer').fill(privateTexts[1]!);
    await pages.bob.getByTestId('composer').press('Enter');
    await pages.alice.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]', { hasText: privateTexts[1]! }).waitFor();
    await pages.alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor();
  });

  test('no errors in the pages, and no secret in any log: passwords, message texts, keys', async () => {
    assert.deepEqual(errors.alice, []);
    assert.deepEqual(errors.bob, []);
    const logs = [...apps.map((app) => app.output()), ...consoleLines].join('\n');
    assert.ok(logs.length > 0, 'the hosts said something (the check looks at real output)');
    assert.ok(logs.includes('KLATSCH_URL='), 'the output was captured');
    const secrets: [string, string][] = [
      ['the password', password],
      ...privateTexts.map((t): [string, string] => ['a private message', t]),
      ['a message text', 'Hi Bob, lunch today?'],
      ['a message text', 'see you'],
    ];
    for (const app of apps) {
      // The key that encrypts the profile's secrets (stored passwords, OTR keys).
      const key = await fs.readFile(path.join(app.profileDir, 'dev-secret.key'));
      secrets.push(['the profile key (hex)', key.toString('hex')], ['the profile key (base64)', key.toString('base64')]);
    }
    for (const [what, secret] of secrets) assert.ok(!logs.includes(secret), `${what} was logged`);
    assert.doesNotMatch(logs, /PRIVATE KEY|\?OTR:AAM|\?OTR:AAI/, 'no key or OTR data message was logged');
    // Nor is any of it in the profile in the clear (passwords are not remembered here; messages are not stored).
    for (const app of apps) {
      for (const entry of await fs.readdir(app.profileDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        // The app is still running: a temp file of an atomic write may be renamed into place between the
        // listing and the read; only such a vanished temp file is passed over (every other file is read).
        const content = await fs.readFile(file, 'latin1').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' && entry.name.endsWith('.tmp')) return '';
          throw error;
        });
        for (const secret of [password, ...privateTexts]) assert.ok(!content.includes(secret), `${file} holds a secret in the clear`);
      }
    }
  });
});
