/**
 * The administrator's policy through the real UI: a company policy presets
 * and locks the server, refuses a denied contact and locks the privacy
 * setting; a damaged policy is reported and locks everything down. The policy
 * comes from a file in the JSON form of /etc/klatsch/policy.json.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, watchForErrors } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'policy-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('admin policy in the UI', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let dir: string;
  const apps: AppInstance[] = [];

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'erin', password },
        { username: 'mallory', password },
      ],
      contacts: [['erin', 'mallory']],
    });
    browser = await launchBrowser();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-policy-e2e-'));
    await fs.mkdir(shots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function openApp(policy: string): Promise<{ page: Page; errors: string[] }> {
    const policyFile = path.join(dir, `policy-${apps.length}.json`);
    await fs.writeFile(policyFile, policy);
    const app = await startAppInstance(server.ca.caCertFile, undefined, { policyFile });
    apps.push(app);
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    const errors = watchForErrors(page);
    await page.goto(app.url);
    return { page, errors };
  }

  test('a company policy presets the server, refuses a denied contact and locks privacy', async () => {
    const { page, errors } = await openApp(
      JSON.stringify({
        serverDomain: server.domain,
        serverHost: '127.0.0.1',
        serverPort: server.c2sPort,
        allowAddAccounts: false,
        otrPolicy: 'always',
        remoteDeny: [`mallory@${server.domain}`],
        keepHistory: false,
      }),
    );
    await page.getByTestId('login-policy').getByText(`Only an account on ${server.domain} can be added`).waitFor();
    assert.equal(await page.getByTestId('login-jid').getAttribute('placeholder'), `name@${server.domain}`);
    await page.getByTestId('login-advanced').click();
    assert.equal(await page.getByTestId('login-host').isDisabled(), true, 'the server is locked');
    assert.equal(await page.getByTestId('login-host').inputValue(), '127.0.0.1');
    assert.equal(await page.getByTestId('login-port').isDisabled(), true);

    // Only the address and the password: the policy supplies host and port.
    await page.getByTestId('login-jid').fill(`erin@${server.domain}`);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });

    // One company account and no more: "Add account" is locked, and the settings say what the policy sets.
    await page.locator('summary', { hasText: 'Account settings' }).click();
    assert.equal(await page.getByTestId('accounts-add').isDisabled(), true);
    await page.getByTestId('policy-summary').getByText('Privacy: Always private').waitFor();
    await page.getByTestId('policy-summary').getByText('Only approved contacts can be written to').waitFor();
    await page.keyboard.press('Escape'); // the account menu closes

    await page.locator(`[data-testid="contact"][data-jid="mallory@${server.domain}"]`).click();
    await page.getByTestId('privacy-state').click(); // the privacy menu holds the policy
    const select = page.getByTestId('otr-policy');
    assert.equal(await select.isDisabled(), true, 'the privacy setting is locked');
    assert.match((await select.getAttribute('title')) ?? '', /Locked: Set by your administrator/);
    await page.getByTestId('otr-policy-locked').waitFor();
    await page.getByTestId('privacy-state').click();
    const history = page.getByTestId('keep-private-history');
    assert.equal(await history.isDisabled(), true, 'no history: keeping private messages is locked off');
    assert.equal(await history.isChecked(), false);
    await page.getByTestId('composer').fill('hello mallory');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('composer-error').getByText(`Your administrator does not allow messages to mallory@${server.domain}`).waitFor();
    assert.equal(await page.locator('[data-testid="message"][data-direction="out"]').count(), 0, 'nothing was sent or shown as sent');
    await page.screenshot({ path: path.join(shots, 'policy-locked.png') });
    assert.deepEqual(errors, []);
  });

  test('a damaged policy is reported and the app locks down', async () => {
    const { page, errors } = await openApp('{ "serverDomain": "example.com", "allowPlaintext": ');
    await page.getByTestId('policy-problem').getByText(/could not be read completely: it is not valid JSON/).waitFor();
    await page.getByTestId('login-policy').getByText(/Adding accounts is locked/).waitFor();
    assert.equal(await page.getByTestId('login-submit').isDisabled(), true);
    await page.screenshot({ path: path.join(shots, 'policy-damaged.png') });
    assert.deepEqual(errors, []);
  });
});
