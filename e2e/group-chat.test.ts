/**
 * A group chat with three participants, through the UI: three app instances
 * (development host + Chromium each) on a real Prosody with its `muc` service.
 * Alice creates a room by name, Bob and Carol join by address (Carol first with
 * a nickname that is taken), everyone sees everyone's messages with the
 * sender's nickname and the occupant list, and the room says plainly that it
 * is not end-to-end encrypted. Keyboard only for Carol; axe-checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { assertAccessible } from './support/axe.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';
import type { AppInstance } from './support/dev-host-process.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const users = ['alice', 'bob', 'carol'] as const;
type User = (typeof users)[number];

describe('a group chat with three participants', () => {
  let windows: AppWindows<User>;
  let server: ProsodyServer;
  let apps: AppInstance[];
  let pages: Record<User, Page>;
  let errors: Record<User, string[]>;
  const room = () => `standup@conference.${server.domain}`;

  before(async () => {
    windows = await startAppWindows({ users: users, password, server: { muc: true } });
    ({ server, pages, errors } = windows);
    apps = Object.values(windows.apps);
    await fs.mkdir(shots, { recursive: true });
  });

  after(async () => {
    await windows?.dispose();
  });

  /** Fills and submits the join dialog; resolves once the dialog closed (joined) or showed an error. */
  async function join(user: User, address: string, nick: string): Promise<void> {
    const page = pages[user];
    await page.getByTestId('open-join-room').click();
    await page.getByTestId('join-room-address').fill(address);
    await page.getByTestId('join-room-nick').fill(nick);
    await page.getByTestId('join-room-submit').click();
  }

  const occupants = (user: User) => pages[user].locator('[data-testid="room-view"] [data-testid="occupant"]');

  test('all three sign in', async () => {
    for (const user of users) await windows.signIn(user);
  });

  test('alice creates a room by name; it is plainly marked as not end-to-end encrypted', async () => {
    await join('alice', 'Standup', 'Alice');
    await pages.alice.getByTestId('join-room-dialog').waitFor({ state: 'detached' });
    const view = pages.alice.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`);
    await view.waitFor();
    const banner = view.getByTestId('room-not-encrypted');
    assert.equal(
      (await banner.innerText()).replace(/^⚠\s*/, ''),
      'This group chat is not end-to-end encrypted: the server and every occupant can read it.',
    );
    assert.equal(await view.locator('.message-lock').count(), 0, 'no lock icon in a room');
    await pages.alice.locator(`[data-testid="room-entry"][data-room="${room()}"]`).waitFor();
    assert.deepEqual(await occupants('alice').evaluateAll((els) => els.map((e) => e.getAttribute('data-nick'))), ['Alice']);
    await pages.alice.getByTestId('composer').fill('Good morning, <b>everyone</b>');
    await pages.alice.getByTestId('composer').press('Enter');
    await view.locator('[data-testid="room-message"][data-direction="out"][data-state="sent"]').waitFor();
  });

  test('bob picks the room from the server\u2019s public rooms and sees what was said before (room history)', async () => {
    await pages.bob.getByTestId('open-join-room').click();
    await pages.bob.getByTestId('browse-rooms').click();
    await pages.bob.locator(`[data-testid="public-room"][data-room="${room()}"]`).click();
    assert.equal(await pages.bob.getByTestId('join-room-address').inputValue(), room());
    await pages.bob.getByTestId('join-room-nick').fill('Bob');
    await pages.bob.getByTestId('join-room-submit').click();
    const view = pages.bob.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`);
    await view.waitFor();
    const first = view.locator('[data-testid="room-message"][data-direction="in"]').first();
    await first.waitFor();
    assert.equal(await first.getByTestId('room-message-nick').innerText(), 'Alice');
    assert.equal(await first.getByTestId('message-body').innerText(), 'Good morning, <b>everyone</b>', 'text, never HTML');
  });

  test('carol, keyboard only: a taken nickname is refused clearly, another one works', async () => {
    const page = pages.carol;
    await page.getByTestId('open-join-room').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('join-room-address').waitFor();
    await page.keyboard.type(room()); // the address field has the focus
    await page.keyboard.press('Tab'); // past "Show the server's public rooms"
    await page.keyboard.press('Tab');
    assert.equal(await page.getByTestId('join-room-nick').evaluate((e) => e === e.ownerDocument.activeElement), true, 'the nickname field has the focus');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Bob');
    await page.keyboard.press('Enter');
    const error = page.getByTestId('join-room-error');
    await error.waitFor();
    assert.match(await error.innerText(), /nickname “Bob” is already taken.*Choose another nickname/);
    await assertAccessible(page, 'the join dialog with an error');
    await page.getByTestId('join-room-nick').focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Carol');
    await page.keyboard.press('Enter');
    await page.getByTestId('join-room-dialog').waitFor({ state: 'detached' });
    await page.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`).waitFor();
  });

  test('everyone sees all three in the occupant list, and every message with its sender', async () => {
    for (const user of users) {
      await pages[user].locator('[data-testid="room-view"] [data-testid="occupant"][data-nick="Carol"]').waitFor();
      assert.deepEqual(await occupants(user).evaluateAll((els) => els.map((e) => e.getAttribute('data-nick'))), ['Alice', 'Bob', 'Carol'], user);
    }
    const lines: [User, string, string][] = [
      ['bob', 'Bob', 'Yesterday: fixed the login bug'],
      ['carol', 'Carol', 'Today: release notes ✍️'],
      ['alice', 'Alice', 'Thanks, see you tomorrow'],
    ];
    for (const [from, nick, body] of lines) {
      await pages[from].getByTestId('composer').fill(body);
      await pages[from].getByTestId('composer').press('Enter');
      for (const user of users) {
        const message = pages[user].locator('[data-testid="room-message"]', { hasText: body });
        await message.waitFor();
        assert.equal(await message.getAttribute('data-nick'), nick, `${user} sees ${nick} as the sender`);
        assert.equal(await message.getAttribute('data-direction'), user === from ? 'out' : 'in');
      }
    }
    // Carol's pane shows the whole conversation in order, once each.
    const bodies = await pages.carol.locator('[data-testid="room-view"] [data-testid="room-message"] [data-testid="message-body"]').allInnerTexts();
    assert.deepEqual(bodies, ['Good morning, <b>everyone</b>', ...lines.map((l) => l[2])]);
    for (const user of users) {
      await pages[user].getByTestId('room-not-encrypted').waitFor();
      await pages[user].screenshot({ path: path.join(shots, `group-chat-${user}.png`) });
    }
    await assertAccessible(pages.alice, 'the room view');
  });

  test('the subject, set by alice, shows for everyone', async () => {
    await pages.alice.getByTestId('edit-room-subject').click();
    await pages.alice.getByTestId('room-subject-input').fill('Daily stand-up');
    await pages.alice.getByTestId('room-subject-input').press('Enter');
    for (const user of users) await pages[user].locator('[data-testid="room-subject"]', { hasText: 'Daily stand-up' }).waitFor();
  });

  test('bob leaves: gone from his list and from the others\u2019 occupant lists', async () => {
    await pages.bob.getByTestId('leave-room').click();
    await pages.bob.locator(`[data-testid="room-entry"][data-room="${room()}"]`).waitFor({ state: 'detached' });
    await pages.bob.getByTestId('room-view').waitFor({ state: 'detached' });
    for (const user of ['alice', 'carol'] as const) {
      await pages[user].locator('[data-testid="room-view"] [data-testid="occupant"][data-nick="Bob"]').waitFor({ state: 'detached' });
    }
  });

  test('no errors in the pages, and no room message in any log', async () => {
    for (const user of users) assert.deepEqual(errors[user], [], user);
    const logs = apps.map((app) => app.output()).join('\n');
    assert.ok(logs.includes('KLATSCH_URL='), 'the output was captured');
    for (const text of ['Good morning', 'release notes', password]) assert.ok(!logs.includes(text), `${text} was logged`);
  });
});
