/**
 * Electron's side of the core's DesktopShell (electron/core/desktop/): a
 * native notification, the unread badge, the tray icon with its presence menu.
 * Thin on purpose: what to notify and what it says is decided in the core.
 * Notification texts are plain text; on Linux Electron escapes them for
 * notification servers that read markup, so nothing in a message becomes markup.
 */
import path from 'node:path';
import { app, Menu, nativeImage, Notification, Tray, type BrowserWindow } from 'electron';
import type { OwnShow, PresenceShow } from '../../shared/contract.js';
import type { DesktopNotification, DesktopShell, TrayTexts } from '../core/desktop/desktop-shell.js';

export interface ElectronShellOptions {
  window: () => BrowserWindow | undefined;
  /** Where tray-<presence>.png (with @2x, @3x) are: resources/tray when packaged, assets/tray in development. */
  trayIconDir: string;
  choosePresence: (show: OwnShow) => void;
  /** "Show Klatsch" when the window was closed (macOS keeps the app running). */
  showWindow: () => void;
  quit: () => void;
}

export class ElectronShell implements DesktopShell {
  private tray: Tray | undefined;
  /** Shown notifications, kept referenced until closed or clicked (else a click may never arrive). */
  private readonly shown = new Set<Notification>();

  constructor(private readonly options: ElectronShellOptions) {}

  notify(n: DesktopNotification, onClick: () => void): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: n.title, body: n.body, silent: n.silent });
    this.shown.add(notification);
    const forget = () => this.shown.delete(notification);
    notification.on('click', () => {
      forget();
      onClick();
    });
    notification.on('close', forget);
    notification.show();
  }

  setUnreadCount(count: number): void {
    app.setBadgeCount(count); // macOS dock, Linux launchers that support it
    const window = this.options.window();
    if (window && !window.isDestroyed()) window.flashFrame(count > 0 && !window.isFocused()); // Windows taskbar
  }

  setTrayPresence(presence: PresenceShow, texts: TrayTexts): void {
    const icon = nativeImage.createFromPath(path.join(this.options.trayIconDir, `tray-${presence}.png`));
    if (!this.tray) {
      this.tray = new Tray(icon);
      this.tray.on('click', () => this.options.showWindow());
    } else {
      this.tray.setImage(icon);
    }
    this.tray.setToolTip(texts.tooltip(texts[presence]));
    const choose = (show: OwnShow) => ({
      label: texts[show],
      type: 'radio' as const,
      checked: presence === show,
      click: () => this.options.choosePresence(show),
    });
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: texts.show, click: () => this.options.showWindow() },
        { type: 'separator' },
        choose('online'),
        choose('away'),
        choose('dnd'),
        { type: 'separator' },
        { label: texts.quit, click: () => this.options.quit() },
      ]),
    );
  }

  focusWindow(): void {
    this.options.showWindow();
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = undefined;
  }
}
