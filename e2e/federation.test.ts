/**
 * Company to company through the real UI: Alice (corp-a.test) and Bob (corp-b.test), each signed in to
 * their own company's Prosody, the two servers federating over TLS (tests/fixtures/federation.ts). They
 * add each other, see each other online, chat, go private and Alice authenticates Bob by a question; a
 * group chat on corp-a has Bob as a member. While corp-b's server is down, Alice's message waits with a
 * sentence naming corp-b.test and arrives once it is back. Alice's administrator denies corp-d.test: adding
 * someone there is refused, saying why, and a message from there is not shown but noted once, naming the domain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startFederation, type Federation } from '../tests/fixtures/federation.js';
import type { ProsodyServer } from '../tests/fixtures/prosody.js';
import { rawLogin } from '../tests/fixtures/raw-xmpp.js';
import { assertAccessible } from './support/axe.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-federation-Passw0rd';
const shots = path.resolve('test-results/e2e');
const ALICE = 'alice@corp-a.test';
const BOB = 'bob@corp-b.test';

/** Waits until the server's stored data (Alice's archive) has this text: the message reached her server. */
async function waitForText(server: ProsodyServer, text: string): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    let all = '';
    for (const entry of await fs.readdir(server.dataDir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) all += await fs.readFile(path.join(entry.parentPath, entry.name), 'latin1');
    }
    if (all.includes(text)) return;
    if (Date.now() > end) throw new Error(`${text} never reached ${server.domain}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('chatting with another company through the UI', () => {
  let fed: Federation;
  let corpA: ProsodyServer;
  let corpB: ProsodyServer;
  let corpD: ProsodyServer;
  let browser: Browser;
  let dir: string;
  const apps: AppInstance[] = [];
  const errors: string[][] = [];
  let alice: Page;
  let bob: Page;

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  const contact = (page: Page, jid: string, attrs = '') => page.locator(`[data-testid="contact"][data-jid="${jid}"]${attrs}`);

  async function open(server: ProsodyServer, user: string, policy?: object): Promise<Page> {
    let policyFile: string | undefined;
    if (policy) {
      policyFile = path.join(dir, `policy-${user}.json`);
      await fs.writeFile(policyFile, JSON.stringify(policy));
    }
    const app = await startAppInstance(fed.ca.caCertFile, undefined, policyFile ? { policyFile } : {});
    apps.push(app);
    const { page, errors: seen } = await openAppPage(browser, app.url);
    errors.push(seen);
    await signIn(page, { jid: `${user}@${server.domain}`, password, host: server.host, port: server.c2sPort });
    return page;
  }

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-federation-e2e-'));
    await fs.mkdir(shots, { recursive: true });
    [fed, browser] = await Promise.all([
      startFederation([
        { domain: 'corp-a.test', users: [{ username: 'alice', password }], muc: true },
        { domain: 'corp-b.test', users: [{ username: 'bob', password }] },
        // On Alice's administrator's deny list.
        { domain: 'corp-d.test', users: [{ username: 'dave', password }] },
      ]),
      launchBrowser(),
    ]);
    [corpA, corpB, corpD] = fed.servers as [ProsodyServer, ProsodyServer, ProsodyServer];
    [alice, bob] = await Promise.all([open(corpA, 'alice', { remoteDeny: ['corp-d.test'] }), open(corpB, 'bob')]);
  });
  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await fed?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function addContact(page: Page, jid: string): Promise<void> {
    await page.getByTestId('open-add-contact').click();
    await page.getByTestId('add-contact-dialog').waitFor();
    await page.getByTestId('add-contact-jid').fill(jid);
    await page.getByTestId('add-contact-submit').click();
  }

  test('Alice of corp-a adds Bob of corp-b; Bob approves; both see each other online and chat', async () => {
    await addContact(alice, BOB);
    await alice.getByTestId('add-contact-dialog').waitFor({ state: 'detached' });
    const request = bob.locator(`[data-testid="subscription-request"][data-jid="${ALICE}"]`);
    await request.waitFor({ timeout: 20_000 });
    await request.getByTestId('approve-request').click();
    await contact(alice, BOB, '[data-show="online"]').waitFor({ timeout: 20_000 });
    await contact(bob, ALICE, '[data-show="online"]').waitFor({ timeout: 20_000 });

    await contact(alice, BOB).click();
    await alice.getByTestId('composer').fill('Hello Bob, greetings from corp-a');
    await alice.getByTestId('composer').press('Enter');
    await contact(bob, ALICE).click();
    await bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]', { hasText: 'greetings from corp-a' }).waitFor({ timeout: 20_000 });
  });

  test('they go private, write privately both ways, and Alice authenticates Bob by a question', async () => {
    await alice.getByTestId('privacy-state').click();
    await alice.getByTestId('start-private').click();
    await alice.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 20_000 });
    await bob.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ timeout: 20_000 });
    const privately = async (from: Page, to: Page, text: string) => {
      await from.getByTestId('composer').fill(text);
      await from.getByTestId('composer').press('Enter');
      const inbound = to.locator('[data-testid="message"][data-direction="in"]', { hasText: text });
      await inbound.getByTestId('message-lock').waitFor({ timeout: 20_000 });
      await from.locator('[data-testid="message"][data-direction="out"]', { hasText: text }).getByTestId('message-lock').waitFor({ timeout: 20_000 });
    };
    await privately(alice, bob, 'Only you and I can read this, across two companies');
    await privately(bob, alice, 'Same here, from corp-b');
    assert.ok(!(await corpA.receivedStanzas()).includes('across two companies'), 'corp-a never saw the text');
    assert.ok(!(await corpB.receivedStanzas()).includes('Same here, from corp-b'), 'corp-b never saw the text');

    await alice.getByTestId('privacy-state').click();
    await alice.getByTestId('authenticate').click();
    const dialog = alice.getByTestId('auth-dialog');
    await dialog.getByTestId('auth-method-question').click();
    await dialog.getByTestId('auth-question').fill('Which city was our kickoff in?');
    await dialog.getByTestId('auth-answer').fill('Leipzig');
    await dialog.getByTestId('auth-submit').click();
    await dialog.waitFor({ state: 'detached' });
    const asked = bob.getByTestId('smp-request');
    await asked.waitFor({ timeout: 20_000 });
    assert.equal(await bob.getByTestId('smp-question').innerText(), 'Which city was our kickoff in?');
    await asked.getByTestId('smp-answer').fill('Leipzig');
    await asked.getByTestId('smp-answer-submit').click();
    await alice.locator('[data-testid="smp-result"][data-result="verified"]').waitFor({ timeout: 20_000 });
    await alice.locator('[data-testid="privacy-state"][data-privacy="private-verified"]').waitFor();
    // The cross-company private chat: verified, with private messages both ways.
    await shot(alice, 'federation-verified');
    await shot(bob, 'federation-private-chat');
  });

  test('a group chat on corp-a has Bob of corp-b as a member', async () => {
    const room = 'projects@conference.corp-a.test';
    await alice.getByTestId('open-join-room').click();
    await alice.getByTestId('join-room-address').fill('Projects');
    await alice.getByTestId('join-room-nick').fill('Alice');
    await alice.getByTestId('join-room-submit').click();
    await alice.locator(`[data-testid="room-view"][data-room="${room}"][data-state="joined"]`).waitFor({ timeout: 20_000 });
    await alice.getByTestId('invite-to-room').click();
    await alice.getByTestId('invite-contact').selectOption(BOB);
    await alice.getByTestId('send-invitation').click();
    const invitation = bob.locator(`[data-testid="invitation"][data-room="${room}"]`);
    await invitation.waitFor({ timeout: 20_000 });
    await invitation.getByTestId('accept-invitation').click();
    await bob.locator(`[data-testid="room-view"][data-room="${room}"][data-state="joined"]`).waitFor({ timeout: 20_000 });
    await alice.locator('[data-testid="room-view"] [data-testid="occupant"][data-nick="bob"]').waitFor({ timeout: 20_000 });
    await bob.getByTestId('composer').fill('Bob of corp-b in the corp-a room');
    await bob.getByTestId('composer').press('Enter');
    const inRoom = alice.locator('[data-testid="room-message"][data-direction="in"]', { hasText: 'Bob of corp-b in the corp-a room' });
    await inRoom.waitFor({ timeout: 20_000 });
    await shot(alice, 'federation-group-chat');
    // Back to the one-to-one chat for the tests that follow.
    await contact(alice, BOB).click();
    await contact(bob, ALICE).click();
  });

  test('while corp-b is down, the message waits with a sentence naming corp-b.test and arrives once it is back', async () => {
    // In plaintext: a private conversation would end with Bob going offline, and its message wait for a new one.
    await alice.getByTestId('privacy-state').click();
    await alice.getByTestId('end-private').click();
    await bob.locator('[data-testid="privacy-state"][data-privacy="private"]').waitFor({ state: 'detached', timeout: 20_000 });
    await corpB.stop();
    await alice.getByTestId('composer').fill('Sent while corp-b was down');
    await alice.getByTestId('composer').press('Enter');
    const waiting = alice.getByTestId('message-waiting-server');
    await waiting.waitFor({ timeout: 20_000 }).catch(async (error: unknown) => {
      await shot(alice, 'federation-waiting-FAILED');
      throw error;
    });
    assert.match(await waiting.innerText(), /your server could not reach corp-b\.test/);
    assert.equal(await alice.getByTestId('message-error').count(), 0, 'not shown as failed');
    const bubble = alice.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Sent while corp-b was down' });
    assert.match(await bubble.innerText(), /Waiting for their server/);
    assert.doesNotMatch(await bubble.innerText(), /private conversation/, 'not the wait for a private conversation');
    await shot(alice, 'federation-waiting');
    await corpB.start();
    await bob.locator('[data-testid="message"][data-direction="in"] [data-testid="message-body"]', { hasText: 'Sent while corp-b was down' }).waitFor({ timeout: 30_000 });
    await waiting.waitFor({ state: 'detached', timeout: 20_000 });
  });

  test('a contact at a domain the administrator denies cannot be added, and the user is told why', async () => {
    await addContact(alice, 'dave@corp-d.test');
    const error = alice.getByTestId('add-contact-error');
    await error.waitFor();
    assert.match(await error.innerText(), /Your administrator does not allow contacts at corp-d\.test, so dave@corp-d\.test cannot be added\./);
    await shot(alice, 'federation-denied-domain');
    assert.equal(await contact(alice, 'dave@corp-d.test').count(), 0);
    await alice.keyboard.press('Escape');
  });

  test('a message from the denied domain is not shown; Alice is told once that corp-d.test is blocked', async () => {
    const dave = await rawLogin({ host: corpD.host, port: corpD.directTlsPort, domain: corpD.domain, ca: fed.ca.caCertPem }, 'dave', password);
    try {
      dave.send(`<message to='${ALICE}' type='chat' id='d1'><body>Secret offer from corp-d 5512</body></message>`);
      const note = alice.getByTestId('blocked-sender');
      await note.waitFor({ timeout: 20_000 });
      assert.equal(await note.locator('span').innerText(), "Messages from corp-d.test are not shown: your administrator's policy blocks them.");
      dave.send(`<message to='${ALICE}' type='chat' id='d2'><body>Second offer from corp-d 5513</body></message>`);
      // It reached corp-a; a message from Bob sent after that reaches Alice's app on the same stream, after it.
      await waitForText(corpA, 'Second offer from corp-d 5513');
      await bob.getByTestId('composer').fill('Fence after the second offer');
      await bob.getByTestId('composer').press('Enter');
      await alice.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Fence after the second offer' }).waitFor({ timeout: 20_000 });
      assert.equal(await note.count(), 1, 'one note for the domain, however many messages');
      assert.ok(!(await alice.locator('body').innerText()).includes('offer from corp-d'), 'never the text');
      await shot(alice, 'federation-denied-domain-message');
      await assertAccessible(alice, 'a blocked domain noted under the account');
      await note.getByRole('button').click();
      await note.waitFor({ state: 'detached' });
    } finally {
      dave.close();
    }
  });

  test('no console errors or crashes', () => {
    assert.deepEqual(errors.flat(), []);
  });
});
