/**
 * An invitation to a group chat through the UI: two app instances (development host + Chromium)
 * on a real Prosody with its `muc` service. Alice creates a room and invites her contact Bob; Bob
 * sees a clear request ("… invites you to the group chat …", the reason, Join / Decline), is not
 * in the room until he chooses Join, and then is. Screenshots of both moments; axe-checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { assertAccessible } from './support/axe.js';
import { startAppWindows, type AppWindows } from './support/app-windows.js';

const password = 'e2e-secret-Passw0rd';
const shots = path.resolve('test-results/e2e');
const users = ['alice', 'bob'] as const;
type User = (typeof users)[number];

describe('an invitation to a group chat, shown and accepted', () => {
  let windows: AppWindows<User>;
  let server: ProsodyServer;
  let pages: Record<User, Page>;
  let errors: Record<User, string[]>;
  const jid = (user: string) => `${user}@${server.domain}`;
  const room = () => `release@conference.${server.domain}`;

  before(async () => {
    windows = await startAppWindows({ users: users, password, server: { muc: true, contacts: [['alice', 'bob']] } });
    ({ server, pages, errors } = windows);
    await fs.mkdir(shots, { recursive: true });
  });

  after(async () => {
    await windows?.dispose();
  });

  test('both sign in; alice creates a room', async () => {
    for (const user of users) await windows.signIn(user);
    const page = pages.alice;
    await page.getByTestId('open-join-room').click();
    await page.getByTestId('join-room-address').fill('Release');
    await page.getByTestId('join-room-nick').fill('Alice');
    await page.getByTestId('join-room-submit').click();
    await page.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`).waitFor();
  });

  test('alice invites bob from the room', async () => {
    const page = pages.alice;
    await page.getByTestId('invite-to-room').click();
    await page.getByTestId('invite-contact').selectOption(jid('bob'));
    await page.getByTestId('invite-reason').fill('Release checklist, 10 minutes');
    await page.getByTestId('send-invitation').click();
    assert.equal(await page.getByTestId('invite-status').innerText(), `Invitation sent to ${jid('bob')}.`);
  });

  test('bob sees a clear request, and is not in the room until he joins', async () => {
    const page = pages.bob;
    const invitation = page.locator(`[data-testid="invitation"][data-room="${room()}"]`);
    await invitation.waitFor();
    assert.match(await invitation.innerText(), new RegExp(`${jid('alice')} invites you to the group chat ${room()}`));
    assert.match(await invitation.innerText(), /“Release checklist, 10 minutes”/);
    assert.equal(await invitation.getAttribute('data-stranger'), 'false', 'alice is a contact');
    assert.equal(await page.locator(`[data-testid="room-entry"][data-room="${room()}"]`).count(), 0, 'not joined by itself');
    await assertAccessible(page, 'an invitation waiting for an answer');
    await page.screenshot({ path: path.join(shots, 'group-invitation-shown.png') });

    await invitation.getByTestId('accept-invitation').click();
    await page.locator(`[data-testid="room-view"][data-room="${room()}"][data-state="joined"]`).waitFor();
    await invitation.waitFor({ state: 'detached' });
    await page.locator('[data-testid="room-view"] [data-testid="occupant"][data-nick="bob"]').waitFor();
    await pages.alice.locator('[data-testid="room-view"] [data-testid="occupant"][data-nick="bob"]').waitFor();
    await page.screenshot({ path: path.join(shots, 'group-invitation-accepted.png') });
  });

  test('no errors in the pages', async () => {
    for (const user of users) assert.deepEqual(errors[user], [], user);
  });
});
