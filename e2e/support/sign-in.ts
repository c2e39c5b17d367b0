/** Signing in through the login form, as a user does (the server's address under "advanced"). */
import type { Page } from 'playwright-core';

export async function signIn(page: Page, login: { jid: string; password: string; host: string; port: number }): Promise<void> {
  await page.getByTestId('login-jid').fill(login.jid);
  await page.getByTestId('login-password').fill(login.password);
  await page.getByTestId('login-advanced').click();
  await page.getByTestId('login-host').fill(login.host);
  await page.getByTestId('login-port').fill(String(login.port));
  await page.getByTestId('login-submit').click();
  await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout: 20_000 });
}
