/**
 * Klatsch's main process: the window, its security settings and the app's
 * lifecycle. Everything else is the core (electron/core), which never imports
 * Electron and gets safeStorage and the profile path from here.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, safeStorage, session } from 'electron';
import { KlatschCore } from './core/klatsch-core.js';
import { SafeStorageSecretBox } from './core/store/secret-box.js';
import { wireIpc } from './ipc-main.js';

const log = (line: string) => console.error(`[klatsch] ${line}`);

if (!app.requestSingleInstanceLock()) app.quit();

let core: KlatschCore | undefined;
let mainWindow: BrowserWindow | undefined;

/** Trust anchors beyond the system's, for development only (`--extra-ca=FILE`); never in a packaged app. */
async function extraAnchors(): Promise<string[]> {
  if (app.isPackaged) return [];
  const files = process.argv.filter((a) => a.startsWith('--extra-ca=')).map((a) => a.slice('--extra-ca='.length));
  return Promise.all(files.map((f) => fs.readFile(f, 'utf8')));
}

function hardenSessions(): void {
  // No web permission (camera, notifications, geolocation, …) is granted to page content.
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => {
    log(`denied permission request: ${permission}`);
    callback(false);
  });
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

async function createWindow(): Promise<void> {
  const page = path.join(__dirname, '../renderer/index.html');
  const window = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 720,
    minHeight: 480,
    title: 'Klatsch',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    },
  });
  mainWindow = window;
  window.once('ready-to-show', () => window.show());
  const unwire = wireIpc(core!, window, pathToFileURL(page).href, log);
  window.on('closed', () => {
    unwire();
    mainWindow = undefined;
  });
  await window.loadFile(page);
}

app.on('second-instance', () => {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.focus();
});

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

app.whenReady().then(async () => {
  hardenSessions();
  core = new KlatschCore({
    profileDir: app.getPath('userData'),
    secretBox: new SafeStorageSecretBox(safeStorage),
    extraAnchors: await extraAnchors(),
    pickFolder,
  });
  await core.start();
  await createWindow();
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
