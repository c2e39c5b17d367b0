/**
 * Chat states and last message correction through the UI: two app instances in plaintext
 * (policy "never" on both sides); alice types → bob's window says "alice is typing…", the message
 * clears it; alice corrects it with the Up arrow → bob's window shows the new text, marked edited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';

const password = 'e2e-chatstates-Passw0rd';

describe('typing and corrections through the UI', () => {
  let windows: AppWindows<'alice' | 'bob'>;
  let server: ProsodyServer;
  let pages: Record<'alice' | 'bob', Page>;
  let errors: Record<'alice' | 'bob', string[]>;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    windows = await startAppWindows({ users: ['alice', 'bob'], password, server: { contacts: [['alice', 'bob']] } });
    ({ server, pages, errors } = windows);
  });

  after(async () => {
    await windows?.dispose();
  });

  const signIn = (user: 'alice' | 'bob') => windows.signIn(user);

  /** Opens the chat with `peer` and makes it plaintext only (no private conversation: typing may be told). */
  async function openPlaintext(user: 'alice' | 'bob', peer: 'alice' | 'bob'): Promise<void> {
    const page = pages[user];
    await page.locator(`[data-testid="contact"][data-jid="${jid(peer)}"][data-show="online"]`).waitFor();
    await page.locator(`[data-testid="contact"][data-jid="${jid(peer)}"]`).click();
    await page.getByTestId('privacy-state').click();
    await page.getByTestId('otr-policy').selectOption('never');
    await page.getByTestId('privacy-state').click();
  }

  test('typing shows in the other window and the message clears it', async () => {
    await signIn('alice');
    await signIn('bob');
    await openPlaintext('alice', 'bob');
    await openPlaintext('bob', 'alice');
    const indicator = pages.bob.getByTestId('typing-indicator');
    assert.equal((await indicator.textContent())?.trim(), '');
    const composer = pages.alice.getByTestId('composer');
    await composer.pressSequentially('Lunhc at noon?');
    await pages.bob.locator('[data-testid="typing-indicator"]', { hasText: /is typing…/ }).waitFor();
    await composer.press('Enter');
    await pages.bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]', { hasText: 'Lunhc at noon?' }).waitFor();
    await pages.bob.locator('[data-testid="typing-indicator"]', { hasText: /^$/ }).waitFor();
  });

  test('Up arrow in the empty composer corrects the last message; the other window shows it edited', async () => {
    await pages.alice.locator('[data-testid="message"][data-direction="out"]:is([data-state="sent"], [data-state="delivered"])').first().waitFor();
    const composer = pages.alice.getByTestId('composer');
    await composer.press('ArrowUp');
    await pages.alice.getByTestId('composer-editing').waitFor();
    assert.equal(await composer.inputValue(), 'Lunhc at noon?');
    await composer.fill('Lunch at noon?');
    await composer.press('Enter');
    const atBob = pages.bob.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Lunch at noon?' });
    await atBob.getByTestId('message-edited').waitFor();
    assert.equal(await pages.bob.locator('[data-testid="message"][data-direction="in"]').count(), 1, 'replaced, not added');
    await pages.alice.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Lunch at noon?' }).getByTestId('message-edited').waitFor();
    assert.deepEqual(errors.alice, []);
    assert.deepEqual(errors.bob, []);
  });
});
