/**
 * The UI speaks the OS's language: a browser with a German locale (de-DE) gets the
 * sign-in screen, an error and the main screen in German, with the page's lang
 * set to "de" and dates in German; an axe-core check runs on both screens.
 * Screenshots land in test-results/e2e/language-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { assertAccessible } from './support/axe.js';
import { launchBrowser, openAppPage } from './support/browser.js';
import { startAppInstance, type AppInstance } from './support/dev-host-process.js';
import { signIn } from './support/sign-in.js';

const password = 'e2e-sprache-Passw0rd';
const shots = path.resolve('test-results/e2e');

// What the functions run inside the page use (the e2e tsconfig has no DOM library).
declare const document: { documentElement: { lang: string } };

describe('German UI from a German OS locale', () => {
  let server: ProsodyServer;
  let browser: Browser;
  let app: AppInstance;
  let page: Page;
  let errors: string[];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    app = await startAppInstance(server.ca.caCertFile);
    ({ page, errors } = await openAppPage(browser, app.url, { locale: 'de-DE' }));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await server?.dispose();
  });

  test('the sign-in screen is German, and passes axe', async () => {
    await page.getByRole('heading', { name: 'Bei Klatsch anmelden' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
    await page.getByText('Chat-Adresse', { exact: true }).waitFor();
    await page.getByText('Passwort speichern').waitFor();
    assert.equal(await page.getByTestId('login-submit').innerText(), 'Anmelden');
    await page.screenshot({ path: path.join(shots, 'language-de-sign-in.png') });
    await assertAccessible(page, 'the German sign-in screen');
  });

  test('a mistake in the form and a refused sign-in are said in German', async () => {
    await page.getByTestId('login-jid').fill('alice');
    await page.getByTestId('login-submit').click();
    assert.match(await page.getByTestId('login-error').innerText(), /Geben Sie Ihre Adresse in der Form name@example\.com ein/);
    await page.getByTestId('login-jid').fill(jid('alice'));
    await page.getByTestId('login-password').fill('wrong-password');
    await page.getByTestId('login-advanced').click();
    await page.getByTestId('login-host').fill('127.0.0.1');
    await page.getByTestId('login-port').fill(String(server.c2sPort));
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await error.getByText(/^Anmeldung fehlgeschlagen/).waitFor({ timeout: 20_000 });
    await page.getByTestId('login-advanced').click(); // closed again, as signIn expects it
  });

  test('the main screen is German, with German dates, and passes axe', async () => {
    await page.getByTestId('login-jid').fill('');
    await signIn(page, { jid: jid('alice'), password, host: '127.0.0.1', port: server.c2sPort });
    await page.getByRole('heading', { name: 'Kontakte' }).waitFor();
    await page.getByText('Wählen Sie einen Kontakt, um eine Unterhaltung zu beginnen.').waitFor();
    assert.equal(await page.getByTestId('connection-status').getByRole('status').innerText(), 'Online');
    await page.getByText('Kontoeinstellungen').waitFor();

    await page.locator(`[data-testid="contact"][data-jid="${jid('bob')}"]`).click();
    await page.getByRole('region', { name: 'Unterhaltung mit bob' }).waitFor();
    assert.equal(await page.getByTestId('composer').getAttribute('placeholder'), 'Nachricht an bob');
    await page.getByTestId('composer').fill('Hallo Bob');
    await page.getByTestId('composer').press('Enter');
    // Sent (not still 'sending', whose faded bubble is no screen to check contrast on).
    await page.locator('[data-testid="message"][data-direction="out"][data-state="sent"]', { hasText: 'Hallo Bob' }).waitFor();
    assert.equal(await page.getByTestId('message').last().getAttribute('data-state'), 'sent');
    // The day above the first message, in German (weekday and month names).
    const day = await page.locator('.day-separator').first().innerText();
    assert.match(day, /(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d+\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}/);
    assert.match(await page.getByTestId('privacy-state').innerText(), /Nicht privat|Privat/);
    await page.screenshot({ path: path.join(shots, 'language-de-main.png') });
    await assertAccessible(page, 'the German main screen');
    assert.deepEqual(errors, []);
  });
});
