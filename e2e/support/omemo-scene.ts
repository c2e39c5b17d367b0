/**
 * Where the OMEMO e2e tests start: a Prosody with the settings OMEMO needs (and its group chat service when
 * asked), the app signed in as alice in Chromium, and the reference OMEMO peers the test starts, closed with
 * the rest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProsody, type ProsodyServer } from '../../tests/fixtures/prosody.js';
import { OMEMO_PROSODY_CONFIG, type OmemoPeer } from '../../tests/fixtures/omemo-peer.js';
import { launchBrowser, openAppPage } from './browser.js';
import { signIn } from './sign-in.js';
import { startAppInstance, type AppInstance } from './dev-host-process.js';

/** Where the OMEMO tests put their screenshots. */
export const shots = path.resolve('test-results/e2e');

export interface OmemoScene {
  server: ProsodyServer;
  browser: Browser;
  app: AppInstance;
  page: Page;
  /** The page's console errors and crashes. */
  errors: string[];
  /** Peers to close with the scene. */
  peers: OmemoPeer[];
  close(): Promise<void>;
}

/** alice (with `password`) signed in, `contact` in her roster. */
export async function startOmemoScene(options: { password: string; contact: string; muc?: boolean }): Promise<OmemoScene> {
  const server = await startProsody({
    ...(options.muc ? { muc: true } : {}),
    users: [{ username: 'alice', password: options.password }],
    contacts: [['alice', options.contact]],
    extraConfig: OMEMO_PROSODY_CONFIG,
  });
  const scene: Partial<OmemoScene> & { server: ProsodyServer; peers: OmemoPeer[] } = { server, peers: [] };
  const close = async () => {
    await scene.browser?.close();
    await scene.app?.stop();
    await Promise.all(scene.peers.map((p) => p.close()));
    await server.dispose();
  };
  try {
    scene.browser = await launchBrowser();
    await fs.mkdir(shots, { recursive: true });
    scene.app = await startAppInstance(server.ca.caCertFile);
    const { page, errors } = await openAppPage(scene.browser, scene.app.url, { viewport: { width: 1100, height: 760 } });
    await signIn(page, { jid: `alice@${server.domain}`, password: options.password, host: '127.0.0.1', port: server.c2sPort });
    return { ...scene, browser: scene.browser, app: scene.app, page, errors, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
