/**
 * Updates through electron-updater, only signed ones, and none when the
 * administrator's policy says so. The updater comes in through the
 * constructor (electron-updater's `autoUpdater` in the app, a fake in
 * tests/unit/updates.test.ts).
 *
 * Signature checks: on Windows, electron-updater verifies the Authenticode
 * publisher of a downloaded installer only when `app-update.yml` names a
 * `publisherName` — without one it installs unverified. So this service
 * refuses to run on Windows unless the name is there (electron-builder writes
 * it from `win.signtoolOptions.publisherName` / `win.azureSignOptions.publisherName`).
 * On macOS, Squirrel.Mac accepts only an update signed by the same
 * developer; on Linux only the AppImage updates itself (deb and rpm are
 * updated by the package manager). Downgrades and pre-releases are refused.
 */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  allowPrerelease: boolean;
  forceDevUpdateConfig: boolean;
  disableWebInstaller: boolean;
  isUpdaterActive(): boolean;
  checkForUpdates(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateServiceOptions {
  /** From the policy gate: policy, then the user's setting, then on. */
  enabled: boolean;
  platform: NodeJS.Platform;
  /** Reads electron-builder's `app-update.yml` next to the app (resources folder); rejects when absent. */
  readUpdateConfig: () => Promise<string>;
  /** Set for an AppImage (the only Linux package that updates itself). */
  appImage?: string | undefined;
  log: (line: string) => void;
  /** Between checks; every 6 hours by default. */
  intervalMs?: number;
  setInterval?: (run: () => void, ms: number) => { unref?: () => void };
}

export type UpdateStart = 'started' | 'disabled-by-policy' | 'not-packaged' | 'package-manager' | 'unsigned-config';

export class UpdateService {
  constructor(
    private readonly updater: UpdaterLike,
    private readonly options: UpdateServiceOptions,
  ) {}

  async start(): Promise<UpdateStart> {
    const { log } = this.options;
    if (!this.options.enabled) {
      log('updates are turned off by policy');
      return 'disabled-by-policy';
    }
    if (this.options.platform === 'linux' && !this.options.appImage) {
      log('updates come from the package manager');
      return 'package-manager';
    }
    const u = this.updater;
    u.allowDowngrade = false;
    u.allowPrerelease = false;
    u.forceDevUpdateConfig = false;
    u.disableWebInstaller = true;
    u.autoDownload = true;
    u.autoInstallOnAppQuit = true;
    if (!u.isUpdaterActive()) return 'not-packaged';
    if (this.options.platform === 'win32' && !(await this.namesPublisher())) {
      log('updates are off: app-update.yml names no publisher, so a download could not be verified');
      return 'unsigned-config';
    }
    // Errors are logged by kind only: an update URL may carry a token.
    u.on('error', (error) => log(`update failed: ${error.name}`));
    const check = () => void u.checkForUpdates().catch((error: Error) => log(`update check failed: ${error.name}`));
    check();
    const timer = (this.options.setInterval ?? setInterval)(check, this.options.intervalMs ?? 6 * 60 * 60 * 1000);
    timer.unref?.();
    return 'started';
  }

  private async namesPublisher(): Promise<boolean> {
    let text: string;
    try {
      text = await this.options.readUpdateConfig();
    } catch {
      return false;
    }
    // `publisherName: X`, `publisherName: [X]` or a block list `publisherName:\n  - X`.
    const match = /^publisherName:[ \t]*(.*)$/m.exec(text);
    if (!match) return false;
    const inline = (match[1] ?? '').replace(/^\[|\]$/g, '').replace(/['"]/g, '').trim();
    if (inline !== '') return true;
    return /^publisherName:[ \t]*\r?\n[ \t]+-[ \t]*\S/m.test(text);
  }
}
