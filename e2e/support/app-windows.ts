/**
 * What most end-to-end tests start from: a real Prosody with the users (one password), one
 * Chromium, and per user an app instance (development host) with its window open on the sign-in
 * screen, console errors collected. `signIn(user)` signs in through the form, as a user does.
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { startProsody, type ProsodyOptions, type ProsodyServer } from '../../tests/fixtures/prosody.js';
import { jidOn, usersWith } from '../../tests/fixtures/xmpp-server.js';
import { launchBrowser, openAppPage } from './browser.js';
import { startAppInstance, type AppInstance } from './dev-host-process.js';
import { signIn } from './sign-in.js';

export interface AppWindows<U extends string> {
  server: ProsodyServer;
  browser: Browser;
  apps: Record<U, AppInstance>;
  pages: Record<U, Page>;
  /** Each window's console errors and crashes, as they come. */
  errors: Record<U, string[]>;
  /** Signs `user` in through the login form (the server's address under "advanced"), until it shows online. */
  signIn(user: U): Promise<void>;
  /** Closes the browser, stops the apps (their profiles go), stops the server. */
  dispose(): Promise<void>;
}

export async function startAppWindows<U extends string>(options: {
  /** The users with a window, in the order their windows open. */
  users: readonly U[];
  password: string;
  /** More users on the server, without a window. */
  others?: string[];
  /** Server options besides its users (contacts, modules, …). */
  server?: Omit<ProsodyOptions, 'users'>;
  /** Each user's browser context (viewport, colour scheme, …) over the default one. */
  page?: (user: U) => BrowserContextOptions;
}): Promise<AppWindows<U>> {
  const server = await startProsody({ ...options.server, users: usersWith(options.password, ...options.users, ...(options.others ?? [])) });
  const windows: AppWindows<U> = {
    server,
    browser: undefined as unknown as Browser,
    apps: {} as Record<U, AppInstance>,
    pages: {} as Record<U, Page>,
    errors: {} as Record<U, string[]>,
    signIn: (user) => signIn(windows.pages[user], { jid: jidOn(server, user), password: options.password, host: '127.0.0.1', port: server.c2sPort }),
    dispose: async () => {
      await windows.browser?.close();
      for (const app of Object.values<AppInstance>(windows.apps)) await app.stop();
      await server.dispose();
    },
  };
  try {
    windows.browser = await launchBrowser();
    for (const user of options.users) {
      windows.apps[user] = await startAppInstance(server.ca.caCertFile);
      ({ page: windows.pages[user], errors: windows.errors[user] } = await openAppPage(windows.browser, windows.apps[user].url, options.page?.(user)));
    }
  } catch (error) {
    await windows.dispose();
    throw error;
  }
  return windows;
}
