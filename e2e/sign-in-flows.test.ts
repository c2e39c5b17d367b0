/**
 * The account screen's harder paths through the real UI: a wrong password, a
 * company server with a self-signed certificate that the user pins after
 * seeing its fingerprint, and a damaged settings file that is reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { launchBrowser, watchForErrors } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';

const password = 'flows-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('sign-in flows', () => {
  let server: ProsodyServer;
  let browser: Browser;
  const apps: AppInstance[] = [];

  before(async () => {
    server = await startProsody({ certificate: 'self-signed', users: [{ username: 'dana', password }] });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await server?.dispose();
  });

  async function openApp(prepare?: (profileDir: string) => Promise<void>): Promise<{ page: Page; errors: string[] }> {
    const app = await startAppInstance(server.ca.caCertFile, prepare);
    apps.push(app);
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
    const errors = watchForErrors(page);
    await page.goto(app.url);
    return { page, errors };
  }

  async function fillLogin(page: Page, secret: string): Promise<void> {
    await page.getByTestId('login-jid').fill(`dana@${server.domain}`);
    await page.getByTestId('login-password').fill(secret);
    if (!(await page.getByTestId('login-host').isVisible())) await page.getByTestId('login-advanced').click();
    await page.getByTestId('login-host').fill('127.0.0.1');
    await page.getByTestId('login-port').fill(String(server.c2sPort));
    await page.getByTestId('login-submit').click();
  }

  test('an unknown certificate is shown and pinned only when the user trusts it', async () => {
    const { page, errors } = await openApp();
    await fillLogin(page, password);
    const dialog = page.getByTestId('cert-dialog');
    await dialog.waitFor({ timeout: 20_000 });
    assert.equal((await page.getByTestId('cert-fingerprint').innerText()).trim(), server.serverCert.sha256);
    assert.match(await dialog.innerText(), /self-signed/i);
    await page.screenshot({ path: path.join(shots, 'certificate-dialog.png') });

    // Cancel trusts nothing.
    await page.getByTestId('cert-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-testid="connection-status"]').count(), 0, 'still not signed in');

    // Signing in again and trusting the certificate this time.
    await fillLogin(page, password);
    await page.getByTestId('cert-trust').click();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    assert.deepEqual(errors, []);
  });

  test('a wrong password is said plainly on the account screen', async () => {
    const { page, errors } = await openApp();
    await fillLogin(page, 'not the password');
    // The self-signed certificate comes first; trusting it leads to the password check.
    await page.getByTestId('cert-dialog').waitFor({ timeout: 20_000 });
    await page.getByTestId('cert-trust').click();
    const error = page.getByTestId('login-error');
    await error.waitFor({ timeout: 20_000 });
    assert.match(await error.innerText(), /wrong address or password/i);
    await page.screenshot({ path: path.join(shots, 'wrong-password.png') });
    assert.deepEqual(errors, []);
  });

  test('a damaged settings file is reported and left as it is', async () => {
    const damaged = '{ "version": 1, "accounts": [ this is not json';
    let settingsFile = '';
    const { page } = await openApp(async (profileDir) => {
      settingsFile = path.join(profileDir, 'settings.json');
      await fs.writeFile(settingsFile, damaged);
    });
    const banner = page.getByTestId('storage-problem');
    await banner.waitFor();
    assert.match(await banner.innerText(), /damaged/);
    assert.equal(await fs.readFile(settingsFile, 'utf8'), damaged);
  });
});
