/**
 * The security settings of every window and session, as plain functions and
 * objects that take the few Electron surfaces they touch, so that a Node test
 * checks each point of Electron's security checklist without Electron
 * (tests/unit/hardening.test.ts). main.ts only wires them up.
 */
import type { BrowserWindowConstructorOptions, HandlerDetails } from 'electron';
import { safeExternalUrl } from '../core/links/external-links.js';

/** The renderer's CSP; renderer/index.html carries the same in a meta tag (the test compares them). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** Checklist items 2–4, 6, 8, 9, 12: sandboxed, isolated, no Node, web security on, no webview, no remote content. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 720,
    minWidth: 720,
    minHeight: 480,
    title: 'Klatsch',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      // Middle-click (auxclick) on a link would otherwise bypass the new-window handler.
      disableBlinkFeatures: 'Auxclick',
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: true,
    },
  };
}

export type Log = (line: string) => void;

/** No web permission (camera, notifications, geolocation, …) is granted; every request is logged. */
export function permissionRequestHandler(log: Log) {
  return (_contents: unknown, permission: string, callback: (granted: boolean) => void, details?: { requestingUrl?: string }): void => {
    const origin = details?.requestingUrl ? safeOrigin(details.requestingUrl) : 'unknown origin';
    log(`denied permission request: ${permission} (${origin})`);
    callback(false);
  };
}

export function permissionCheckHandler(): boolean {
  return false;
}

/** The parts of a webContents the hardening touches. */
export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview' | 'will-frame-navigate', listener: (event: { preventDefault(): void }, ...args: unknown[]) => void): unknown;
  setWindowOpenHandler(handler: (details: Pick<HandlerDetails, 'url'>) => { action: 'deny' }): void;
}

export interface HardenDeps {
  log: Log;
  /** Asks the user and opens the link outside Klatsch (see external-links.ts). */
  openLink: (url: URL) => void;
}

/**
 * Checklist items 13–15: no navigation away from our page, no new windows, no
 * webviews. A link the user clicked (window.open / target=_blank) is offered
 * to the system browser after confirmation, never opened inside Klatsch.
 */
export function hardenWebContents(contents: ContentsLike, deps: HardenDeps): void {
  const block = (what: string) => (event: { preventDefault(): void }, url?: unknown) => {
    event.preventDefault();
    deps.log(`blocked ${what}${typeof url === 'string' ? ` to ${safeOrigin(url)}` : ''}`);
  };
  contents.on('will-navigate', block('navigation'));
  contents.on('will-frame-navigate', block('frame navigation'));
  contents.on('will-redirect', block('redirect'));
  contents.on('will-attach-webview', block('webview'));
  contents.setWindowOpenHandler(({ url }) => {
    const safe = safeExternalUrl(url);
    if (safe) deps.openLink(safe);
    else deps.log(`blocked new window to ${safeOrigin(url)}`);
    return { action: 'deny' };
  });
}

/** An origin for logs: never the path or query (they can hold private text). */
function safeOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'file:' ? `${parsed.protocol}//${parsed.host}` : parsed.protocol;
  } catch {
    return 'an unparsable URL';
  }
}
