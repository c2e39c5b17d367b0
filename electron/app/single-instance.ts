/**
 * One Klatsch per user session, and `xmpp:` links routed to it: a second
 * start hands its command line (with the link) to the first and quits. macOS
 * delivers links with `open-url` instead. Takes the tiny part of Electron's
 * `app` it uses, so tests/unit/hardening.test.ts drives it with a fake.
 */
import { xmppUriFromArgv } from '../core/links/xmpp-uri.js';

export interface AppLike {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  setAsDefaultProtocolClient(protocol: string): boolean;
  on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): unknown;
  on(event: 'open-url', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
}

export interface SingleInstanceDeps {
  /** Brings the window forward (restore, focus). */
  focus: () => void;
  /** An `xmpp:` link to hand to the UI. */
  openXmppLink: (uri: string) => void;
  argv: readonly string[];
}

/** Returns false when another instance runs (this one then quits). */
export function claimSingleInstance(app: AppLike, deps: SingleInstanceDeps): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.setAsDefaultProtocolClient('xmpp');
  app.on('second-instance', (_event, argv) => {
    deps.focus();
    const uri = xmppUriFromArgv(argv);
    if (uri) deps.openXmppLink(uri);
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    deps.focus();
    deps.openXmppLink(url);
  });
  const first = xmppUriFromArgv(deps.argv);
  if (first) deps.openXmppLink(first);
  return true;
}
