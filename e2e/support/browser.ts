/** Debian's Chromium driven by playwright-core (Playwright's own browser download is not possible here). */
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', // tests run as root in CI
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      // The UI follows the OS language: tests get English unless they ask for another (`locale`).
      '--lang=en-US',
    ],
  });
}

/** A fresh browser context on `url` (one app window), with its console errors and crashes collected. */
export async function openAppPage(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 }, locale: 'en-US', ...options });
  const page = await context.newPage();
  const errors = watchForErrors(page);
  await page.goto(url);
  return { page, errors };
}

/** Collects console errors and page crashes, so a test can assert there were none. */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('crash', () => errors.push('page crashed'));
  return errors;
}
