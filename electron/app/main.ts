/**
 * Klatsch's main process: the window, its security settings and the app's
 * lifecycle. Everything else is the core (electron/core), which never imports
 * Electron and gets safeStorage, the profile path and the administrator's
 * policy from here. The security settings themselves live in plain modules
 * (security.ts, external-links.ts, ipc-sender.ts, single-instance.ts,
 * updates.ts) so that Node tests check them without Electron.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, safeStorage, session, shell } from 'electron';
import { eventChannel, type XmppLinkEvent } from '../../shared/contract.js';
import { KlatschCore } from '../core/klatsch-core.js';
import { SafeStorageSecretBox } from '../core/store/secret-box.js';
import { loadEffectivePolicy } from '../core/policy/load-policy.js';
import { watchPolicy } from '../core/policy/watch-policy.js';
import { PolicyGate } from '../core/policy/policy-gate.js';
import { wireIpc } from './ipc-main.js';
import { confirmDialogOptions, openLinkAfterConfirm } from '../core/links/external-links.js';
import { CONTENT_SECURITY_POLICY, hardenWebContents, mainWindowOptions, permissionCheckHandler, permissionRequestHandler } from './security.js';
import { claimSingleInstance } from './single-instance.js';
import { ElectronShell } from './desktop-shell.js';
import { UpdateService } from './updates.js';
import { parseXmppUri } from '../core/links/xmpp-uri.js';
import { keepYoungGenerationSmall } from '../core/young-generation.js';

keepYoungGenerationSmall();

const log = (line: string) => console.error(`[klatsch] ${line}`);

let core: KlatschCore | undefined;
let mainWindow: BrowserWindow | undefined;
let pageLoaded = false;
/** Links opened before the window could take them. */
const pendingLinks: XmppLinkEvent[] = [];

function focusWindow(): void {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.show();
  mainWindow?.focus();
}

/** The tray and a clicked notification bring the window back, making a new one if it was closed (macOS). */
function showWindow(): void {
  if (mainWindow && !mainWindow.isDestroyed()) focusWindow();
  else if (core) void createWindow();
}

function deliverXmppLink(uri: string): void {
  const link = parseXmppUri(uri);
  if (!link) {
    log('ignored an xmpp: link that could not be read');
    return;
  }
  if (mainWindow && pageLoaded && !mainWindow.isDestroyed()) mainWindow.webContents.send(eventChannel('xmppLinkOpened'), link);
  else pendingLinks.push(link);
}

/** Trust anchors beyond the system's, for development only (`--extra-ca=FILE`); never in a packaged app. */
async function extraAnchors(): Promise<string[]> {
  if (app.isPackaged) return [];
  const files = process.argv.filter((a) => a.startsWith('--extra-ca=')).map((a) => a.slice('--extra-ca='.length));
  return Promise.all(files.map((f) => fs.readFile(f, 'utf8')));
}

function hardenSessions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler(permissionRequestHandler(log));
  ses.setPermissionCheckHandler(permissionCheckHandler);
  // No USB, HID, serial or Bluetooth device either.
  ses.setDevicePermissionHandler(permissionCheckHandler);
  // The page's meta tag carries the same policy; the header also covers anything loaded without it.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_e, contents) => {
    hardenWebContents(contents, {
      log,
      openLink: (url) =>
        void openLinkAfterConfirm(url.href, {
          confirm: async (u) => {
            const options = confirmDialogOptions(u);
            const answer = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
            return answer.response === 1;
          },
          openExternal: (href) => shell.openExternal(href),
          openXmppLink: (u) => deliverXmppLink(u.href),
          log,
        }),
    });
  });
}

async function createWindow(): Promise<void> {
  const page = path.join(__dirname, '../renderer/index.html');
  const window = new BrowserWindow(mainWindowOptions(path.join(__dirname, 'preload.cjs')));
  mainWindow = window;
  pageLoaded = false;
  window.once('ready-to-show', () => window.show());
  // Notifications are for messages the user cannot see: the core follows the focus.
  window.on('focus', () => core?.windowFocusChanged(true));
  window.on('blur', () => core?.windowFocusChanged(false));
  const unwire = wireIpc(core!, window, pathToFileURL(page).href, log);
  window.on('closed', () => {
    unwire();
    mainWindow = undefined;
  });
  window.webContents.once('did-finish-load', () => {
    pageLoaded = true;
    for (const link of pendingLinks.splice(0)) window.webContents.send(eventChannel('xmppLinkOpened'), link);
  });
  await window.loadFile(page);
}

/** The native folder dialog, for moving OTR keys from and to a libotr app (Pidgin keeps them in ~/.purple). */
async function pickFolder(purpose: 'import-libotr' | 'export-libotr'): Promise<string | undefined> {
  const options: Electron.OpenDialogOptions = {
    title: purpose === 'import-libotr' ? 'Import OTR keys from a folder' : 'Export OTR keys to a folder',
    defaultPath: path.join(app.getPath('home'), '.purple'),
    properties: purpose === 'import-libotr' ? ['openDirectory', 'showHiddenFiles'] : ['openDirectory', 'createDirectory', 'showHiddenFiles'],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? undefined : result.filePaths[0];
}

async function startUpdates(policy: PolicyGate): Promise<void> {
  const { autoUpdater } = await import('electron-updater');
  const service = new UpdateService(autoUpdater, {
    enabled: policy.updatesEnabled(),
    platform: process.platform,
    readUpdateConfig: () => fs.readFile(path.join(process.resourcesPath, 'app-update.yml'), 'utf8'),
    appImage: process.env.APPIMAGE,
    log,
  });
  log(`updates: ${await service.start()}`);
}

// Windows shows notifications only for an app with an identity: the installer's (electron-builder appId).
if (process.platform === 'win32') app.setAppUserModelId('com.klatsch.desktop');

if (claimSingleInstance(app, { focus: focusWindow, openXmppLink: deliverXmppLink, argv: process.argv })) {
  app.whenReady().then(async () => {
    hardenSessions();
    const policySources = { platform: process.platform };
    const loaded = await loadEffectivePolicy(policySources);
    if (loaded.problem) log('the administrator policy could not be read completely; the safest settings apply');
    const policy = new PolicyGate(loaded);
    const desktopShell = new ElectronShell({
      window: () => mainWindow,
      trayIconDir: app.isPackaged ? path.join(process.resourcesPath, 'tray') : path.join(__dirname, '../../assets/tray'),
      choosePresence: (show) => void core?.setPresenceEverywhere(show).catch((error: Error) => log(`presence not set: ${error.name}`)),
      showWindow,
      quit: () => app.quit(),
    });
    app.once('will-quit', () => desktopShell.destroy());
    core = new KlatschCore({
      shell: desktopShell,
      systemLanguages: () => app.getPreferredSystemLanguages(),
      profileDir: app.getPath('userData'),
      secretBox: new SafeStorageSecretBox(safeStorage),
      omemo: true,
      extraAnchors: await extraAnchors(),
      pickFolder,
      policy,
      // Links in messages: the user confirmed the address in the window; the core checked it again.
      openExternal: (href) => shell.openExternal(href),
    });
    await core.start();
    // A policy changed while Klatsch runs applies now; the window says which settings changed.
    const policyWatch = watchPolicy(policySources, loaded, (next) => {
      if (next.problem) log('the administrator policy changed and could not be read completely; the safest settings apply');
      core?.applyPolicy(next);
    });
    app.once('will-quit', () => policyWatch.close());
    await createWindow();
    if (app.isPackaged) void startUpdates(policy).catch((error: Error) => log(`updates not started: ${error.name}`));
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) void createWindow();
    });
  }).catch((error: unknown) => {
    log(`start failed: ${(error as Error).message}`);
    app.exit(1);
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let stopped = false;
  app.on('before-quit', (event) => {
    // Quit only after the core stopped: it writes the last second of chat history then.
    if (stopped || !core) return;
    event.preventDefault();
    const stopped5s = new Promise<void>((resolve) => setTimeout(resolve, 5_000)); // never hang the quit
    const stopping = Promise.race([core.stop().catch((error: unknown) => log(`stop failed: ${(error as Error).message}`)), stopped5s]);
    void stopping.finally(() => {
      stopped = true;
      app.quit();
    });
  });
}
