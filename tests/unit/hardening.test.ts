/**
 * Electron's security checklist, point by point where code can check it,
 * against the plain modules main.ts wires up, with fakes of the few Electron
 * surfaces they touch (Electron itself cannot run in these tests).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestNames, requests } from '../../shared/contract.js';
import { createDispatcher, type Handlers } from '../../electron/core/ipc/dispatch.js';
import { CONTENT_SECURITY_POLICY, hardenWebContents, mainWindowOptions, permissionCheckHandler, permissionRequestHandler } from '../../electron/app/security.js';
import { confirmDialogOptions, openLinkAfterConfirm, safeExternalUrl } from '../../electron/core/links/external-links.js';
import { isTrustedSender } from '../../electron/app/ipc-sender.js';
import { claimSingleInstance, type AppLike } from '../../electron/app/single-instance.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const source = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('windows', () => {
  test('sandboxed, context isolation, no Node integration anywhere, web security on, no webview', () => {
    const web = mainWindowOptions('/app/preload.cjs').webPreferences!;
    assert.equal(web.sandbox, true);
    assert.equal(web.contextIsolation, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInWorker, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
    assert.equal(web.webSecurity, true);
    assert.equal(web.allowRunningInsecureContent, false);
    assert.equal(web.experimentalFeatures, false);
    assert.equal(web.enableBlinkFeatures, '');
    assert.equal(web.disableBlinkFeatures, 'Auxclick');
    assert.equal(web.webviewTag, false);
    assert.equal(web.navigateOnDragDrop, false);
    assert.equal(web.preload, '/app/preload.cjs');
  });

  test('main.ts builds its window from those options and wires every handler', () => {
    const main = source('electron/app/main.ts');
    assert.match(main, /new BrowserWindow\(mainWindowOptions\(/);
    assert.doesNotMatch(main, /webPreferences/, 'no second set of window options');
    assert.match(main, /setPermissionRequestHandler\(permissionRequestHandler\(log\)\)/);
    assert.match(main, /setPermissionCheckHandler\(permissionCheckHandler\)/);
    assert.match(main, /setDevicePermissionHandler\(permissionCheckHandler\)/);
    assert.match(main, /'web-contents-created'[\s\S]*hardenWebContents\(contents/);
    assert.match(main, /claimSingleInstance\(app/);
    assert.doesNotMatch(main, /shell\.openExternal\((?!href)/, 'openExternal only through openLinkAfterConfirm');
  });
});

describe('content security policy', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]));

  test('the page carries exactly the policy main sets', () => {
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(source('renderer/index.html'));
    assert.equal(meta?.[1], CONTENT_SECURITY_POLICY);
  });

  test('strict: nothing by default, scripts only from the app, no inline or eval, no remote origins', () => {
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), ["'self'"]);
    assert.deepEqual(directives.get('base-uri'), ["'none'"]);
    assert.deepEqual(directives.get('form-action'), ["'none'"]);
    for (const [name, values] of directives) {
      for (const v of values) {
        assert.ok(!/unsafe-|^\*$|^https?:|^ws:|^wss:|^blob:/.test(v), `${name} ${v}`);
        if (v === 'data:') assert.equal(name, 'img-src', 'data: only for images');
      }
    }
  });
});

describe('navigation, new windows, webviews', () => {
  function fakeContents() {
    const listeners = new Map<string, (event: { preventDefault(): void }, ...args: unknown[]) => void>();
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    return {
      contents: {
        on: (event: string, listener: (event: { preventDefault(): void }, ...args: unknown[]) => void) => listeners.set(event, listener),
        setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => (openHandler = h),
      },
      fire(event: string, url: string) {
        let prevented = false;
        listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
        return prevented;
      },
      open: (url: string) => openHandler!({ url }),
    };
  }

  test('every navigation, redirect and webview is prevented and logged without paths', () => {
    const fake = fakeContents();
    const logs: string[] = [];
    hardenWebContents(fake.contents, { log: (l) => logs.push(l), openLink: () => assert.fail('no link') });
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      assert.equal(fake.fire(event, 'https://evil.example/secret-path?token=1'), true, event);
    }
    assert.equal(logs.length, 4);
    assert.ok(logs.every((l) => !l.includes('secret-path') && !l.includes('token')), logs.join('\n'));
  });

  test('new windows are always denied; only safe links go on to the confirmation', () => {
    const fake = fakeContents();
    const offered: string[] = [];
    hardenWebContents(fake.contents, { log: () => {}, openLink: (u) => offered.push(u.href) });
    for (const url of ['https://example.com/a', 'http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@example.com', 'about:blank']) {
      assert.deepEqual(fake.open(url), { action: 'deny' }, url);
    }
    assert.deepEqual(offered, ['https://example.com/a', 'mailto:a@example.com']);
  });
});

describe('permissions', () => {
  test('every request is denied and logged; every check says no', () => {
    const logs: string[] = [];
    const handler = permissionRequestHandler((l) => logs.push(l));
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal', 'clipboard-read', 'fileSystem', 'unknown']) {
      let granted: boolean | undefined;
      handler({}, permission, (g) => (granted = g), { requestingUrl: 'file:///app/index.html' });
      assert.equal(granted, false, permission);
    }
    assert.equal(logs.length, 7);
    assert.match(logs[0]!, /denied permission request: media/);
    assert.equal(permissionCheckHandler(), false);
  });
});

describe('IPC', () => {
  const page = 'file:///app/dist/renderer/index.html';
  const mainFrame = { url: page };
  const window = { webContents: { mainFrame } };

  test('only the main frame of our window showing our page is trusted', () => {
    assert.equal(isTrustedSender({ sender: window.webContents, senderFrame: mainFrame }, window, page), true);
    assert.equal(isTrustedSender({ sender: window.webContents, senderFrame: { url: `${page}#x` } }, window, page), false, 'a sub-frame');
    assert.equal(isTrustedSender({ sender: {}, senderFrame: mainFrame }, window, page), false, 'another webContents');
    assert.equal(isTrustedSender({ sender: window.webContents, senderFrame: null }, window, page), false, 'a frame that is gone');
    const navigated = { webContents: { mainFrame: { url: 'https://evil.example/' } } };
    assert.equal(isTrustedSender({ sender: navigated.webContents, senderFrame: navigated.webContents.mainFrame }, navigated, page), false);
  });

  test('ipc-main.ts checks the sender before dispatching', () => {
    assert.match(source('electron/app/ipc-main.ts'), /if \(!trusted\(event\)\)[\s\S]*return dispatch\(name, payload\)/);
  });

  test('every request payload is schema-validated: garbage and unknown keys never reach a handler', async () => {
    const reached: string[] = [];
    const handlers = Object.fromEntries(requestNames.map((n) => [n, async () => reached.push(n)])) as unknown as Handlers;
    const dispatch = createDispatcher(handlers);
    for (const name of requestNames) {
      for (const payload of [undefined, null, 'x', 42, [], { unexpected: true }, { accountId: 'a'.repeat(100_000) }]) {
        const result = await dispatch(name, payload);
        assert.equal(result.ok, false, `${name} ${JSON.stringify(payload)?.slice(0, 40)}`);
        assert.equal(!result.ok && result.error.code, 'invalid-request');
      }
      assert.ok(requests[name].request.safeParse({ unexpected: true }).success === false, `${name} is strict`);
    }
    assert.deepEqual(reached, []);
    assert.equal((await dispatch('__proto__', {})).ok, false);
  });

  test('the preload exposes named functions only, never ipcRenderer itself', () => {
    const preload = source('electron/app/preload.ts');
    assert.match(preload, /contextBridge\.exposeInMainWorld\('klatsch', api as KlatschApi\)/);
    assert.doesNotMatch(preload, /exposeInMainWorld\([^)]*ipcRenderer/);
    assert.doesNotMatch(preload, /api\[[^\]]+\]\s*=\s*ipcRenderer/);
  });
});

describe('links to the outside', () => {
  test('only re-parsed https, mailto and xmpp', () => {
    for (const ok of ['https://example.com/path?q=1', 'mailto:alice@example.com', 'xmpp:bob@example.com']) assert.ok(safeExternalUrl(ok), ok);
    for (const bad of [
      'http://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,hi',
      'smb://server/share',
      'ms-msdt:/id',
      'https://user:pass@example.com/',
      'https://exa mple.com/',
      'not a url',
      42,
      undefined,
    ]) {
      assert.equal(safeExternalUrl(bad), undefined, String(bad));
    }
  });

  test('opened only after the user confirms the exact address', async () => {
    const opened: string[] = [];
    const asked: string[] = [];
    const deps = (answer: boolean) => ({
      confirm: async (u: URL) => (asked.push(u.href), answer),
      openExternal: async (href: string) => void opened.push(href),
      openXmppLink: () => assert.fail('not an xmpp link'),
      log: () => {},
    });
    assert.equal(await openLinkAfterConfirm('https://example.com/x', deps(false)), 'declined');
    assert.deepEqual(opened, []);
    assert.equal(await openLinkAfterConfirm('https://example.com/x', deps(true)), 'opened');
    assert.deepEqual(opened, ['https://example.com/x']);
    assert.equal(await openLinkAfterConfirm('file:///etc/passwd', deps(true)), 'refused');
    assert.deepEqual(asked, ['https://example.com/x', 'https://example.com/x'], 'a refused link is never even offered');
    const links: string[] = [];
    assert.equal(await openLinkAfterConfirm('xmpp:bob@example.com', { ...deps(true), openXmppLink: (u) => links.push(u.href) }), 'in-app');
    assert.deepEqual(links, ['xmpp:bob@example.com']);
    const dialog = confirmDialogOptions(new URL('https://example.com/x'));
    assert.equal(dialog.buttons[dialog.defaultId], 'Cancel', 'Cancel is the default');
    assert.equal(dialog.detail, 'https://example.com/x');
  });

  test('a mailto: link keeps its recipients, subject and body, and nothing else: no cc, bcc, to or attach', async () => {
    const opened: string[] = [];
    const asked: string[] = [];
    const deps = {
      confirm: async (u: URL) => (asked.push(u.href), true),
      openExternal: async (href: string) => void opened.push(href),
      openXmppLink: () => assert.fail('not an xmpp link'),
      log: () => {},
    };
    assert.equal(await openLinkAfterConfirm('mailto:a@b?cc=x&bcc=y&attach=/etc/passwd&body=hi', deps), 'opened');
    assert.deepEqual(opened, ['mailto:a@b?body=hi']);
    assert.deepEqual(asked, ['mailto:a@b?body=hi'], 'the dialog shows what opens');
    for (const [raw, expected] of [
      ['mailto:a@b.example?subject=Hallo%20Welt&body=Gr%C3%BC%C3%9Fe+1', 'mailto:a@b.example?subject=Hallo%20Welt&body=Gr%C3%BC%C3%9Fe+1'],
      ['mailto:a@b.example?To=evil@c.example&ATTACH=~/.ssh/id_rsa&Subject=x', 'mailto:a@b.example?Subject=x'],
      ['mailto:a@b.example?%61ttach=/etc/passwd&%62cc=evil@c.example', 'mailto:a@b.example'],
      ['mailto:a@b.example?body=one&body=two&x-header=1#frag', 'mailto:a@b.example?body=one'],
      ['mailto:a@b.example,c@d.example?in-reply-to=%3Cid%3E', 'mailto:a@b.example,c@d.example'],
    ]) {
      assert.equal(safeExternalUrl(raw)?.href, expected, raw);
    }
  });
});

describe('single instance and xmpp: links', () => {
  function fakeApp(lock: boolean) {
    const calls: string[] = [];
    const listeners = new Map<string, (...args: never[]) => void>();
    const app = {
      requestSingleInstanceLock: () => (calls.push('lock'), lock),
      quit: () => void calls.push('quit'),
      setAsDefaultProtocolClient: (p: string) => (calls.push(`protocol ${p}`), true),
      on: (event: string, listener: (...args: never[]) => void) => listeners.set(event, listener),
    } as unknown as AppLike;
    return { app, calls, listeners };
  }

  test('a second instance quits without registering anything', () => {
    const { app, calls, listeners } = fakeApp(false);
    assert.equal(claimSingleInstance(app, { focus: () => {}, openXmppLink: () => {}, argv: [] }), false);
    assert.deepEqual(calls, ['lock', 'quit']);
    assert.equal(listeners.size, 0);
  });

  test('the first instance handles xmpp: from its own argv, from later starts and from macOS open-url', () => {
    const { app, calls, listeners } = fakeApp(true);
    const links: string[] = [];
    let focused = 0;
    assert.equal(claimSingleInstance(app, { focus: () => focused++, openXmppLink: (u) => links.push(u), argv: ['klatsch', 'xmpp:a@example.com'] }), true);
    assert.deepEqual(calls, ['lock', 'protocol xmpp']);
    (listeners.get('second-instance') as (e: unknown, argv: string[]) => void)({}, ['klatsch', '--flag', 'xmpp:b@example.com?subscribe']);
    (listeners.get('second-instance') as (e: unknown, argv: string[]) => void)({}, ['klatsch']);
    let prevented = false;
    (listeners.get('open-url') as (e: { preventDefault(): void }, url: string) => void)({ preventDefault: () => (prevented = true) }, 'xmpp:c@example.com');
    assert.deepEqual(links, ['xmpp:a@example.com', 'xmpp:b@example.com?subscribe', 'xmpp:c@example.com']);
    assert.equal(focused, 3);
    assert.equal(prevented, true);
  });
});
