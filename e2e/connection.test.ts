/**
 * Errors and connection as a user meets them: a sign-in to a server that cannot be reached says where
 * it looked (in German here), a dropped connection shows "You are offline — reconnecting (in N s)" over
 * the chat with "Reconnect now", and a page reload of the development host comes back to the same data.
 * Screenshots land in test-results/e2e/connection-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { freePort } from '../tests/fixtures/ports.js';
import { startTcpProxy, type TcpProxy } from '../tests/fixtures/tcp-proxy.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'conn-Passw0rd';
const shots = path.resolve('test-results/e2e');

describe('errors and connection', () => {
  let server: ProsodyServer;
  let proxy: TcpProxy;
  let browser: Browser;
  const apps: AppInstance[] = [];

  before(async () => {
    server = await startProsody({ users: [{ username: 'erin', password }] });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
    await proxy?.close();
    await server?.dispose();
  });

  test('signing in to a server that cannot be reached names the domain and the host:port tried (German)', async () => {
    const app = await startAppInstance(server.ca.caCertFile);
    apps.push(app);
    const { page, errors } = await openAppPage(browser, app.url, { locale: 'de-DE' });
    const port = await freePort(); // nothing listens there
    await page.getByTestId('login-jid').fill(`erin@${server.domain}`);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-advanced').click();
    await page.getByTestId('login-host').fill('127.0.0.1');
    await page.getByTestId('login-port').fill(String(port));
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await error.waitFor({ timeout: 20_000 });
    const text = await error.innerText();
    assert.match(text, new RegExp(`^Der Server für ${server.domain.replace(/\./g, '\\.')} war nicht erreichbar: 127\\.0\\.0\\.1:${port} hat die Verbindung abgelehnt`));
    assert.match(text, /Bitte prüfen Sie Server und Port/);
    assert.doesNotMatch(text, /lost|abgebrochen|refused/i, 'no "connection lost" for a connection that never came up, no English');
    await page.screenshot({ path: path.join(shots, 'connection-sign-in-unreachable-de.png') });
    assert.deepEqual(errors, []);
  });

  test('a dropped connection shows the offline banner with a countdown; "Reconnect now" connects at once', async () => {
    const app = await startAppInstance(server.ca.caCertFile);
    apps.push(app);
    const { page, errors } = await openAppPage(browser, app.url);
    await signIn(page, { jid: `erin@${server.domain}`, password, host: '127.0.0.1', port: proxy.port });
    assert.equal(await page.getByTestId('offline-banner').count(), 0, 'no banner while online');

    // The network goes away and stays away: each attempt fails, the backoff grows.
    await proxy.block(true);
    proxy.cut();
    const banner = page.getByTestId('offline-banner');
    await banner.waitFor({ timeout: 20_000 });
    // Wait until an attempt has failed and the next one is a few seconds away (the backoff doubles).
    await page.getByTestId('offline-countdown').filter({ hasText: /in ([3-9]|\d\d+) s/ }).waitFor({ timeout: 30_000 });
    assert.match(await banner.innerText(), /You are offline — reconnecting \(in \d+ s\)\s*·\s*Reconnect now/);
    await page.screenshot({ path: path.join(shots, 'connection-offline-banner.png') });

    const connectionsBefore = proxy.connections;
    await proxy.block(false);
    await page.getByTestId('reconnect-now').click();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    await banner.waitFor({ state: 'detached' });
    assert.equal(proxy.connections, connectionsBefore + 1, 'one new connection, made by the click');
    assert.deepEqual(errors, []);
  });

  test('a page reload comes back to the same account; one page at a time; "Try again" retries', async () => {
    const app = await startAppInstance(server.ca.caCertFile);
    apps.push(app);
    const { page, errors } = await openAppPage(browser, app.url);
    await signIn(page, { jid: `erin@${server.domain}`, password, host: '127.0.0.1', port: server.c2sPort });
    await page.reload();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByText('development host disconnected').count(), 0);
    await page.screenshot({ path: path.join(shots, 'connection-after-reload.png') });
    // Reloaded twice in a row: still back.
    await page.reload();
    await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });

    // Another tab of the same origin has no token: it gets nothing.
    const other = await (await browser.newContext()).newPage();
    await other.goto(new URL(app.url).origin);
    await other.getByText('development host disconnected').first().waitFor({ timeout: 20_000 });
    assert.equal(await other.locator('[data-testid="connection-status"]').count(), 0);

    // A second page with the token is refused while the first is connected; once that one is gone,
    // "Try again" on the error screen really tries again, and gets in.
    const second = await (await browser.newContext({ viewport: { width: 1100, height: 700 }, locale: 'en-US' })).newPage();
    await second.goto(app.url);
    await second.getByText('development host disconnected').first().waitFor({ timeout: 20_000 });
    await page.close();
    await second.getByRole('button', { name: 'Try again' }).click();
    await second.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
    assert.deepEqual(errors, []);
  });
});
